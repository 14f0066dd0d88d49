package data

import (
	"errors"
	"strings"
	"testing"
)

func TestDefaultCatalogue(t *testing.T) {
	old, err := DefaultCatalogue(SchemeGBT30428)
	if err != nil {
		t.Fatal(err)
	}
	nw, err := DefaultCatalogue(SchemeGBT47678)
	if err != nil {
		t.Fatal(err)
	}
	count := func(cats []Category, k CategoryKind) int {
		n := 0
		for _, c := range cats {
			if c.Kind == k {
				n++
			}
		}
		return n
	}
	if n := count(old, KindComponent); n < 60 {
		t.Errorf("GB/T 30428.2 catalogue has %d component small classes, want at least 60", n)
	}
	if n := count(old, KindEvent); n < 10 {
		t.Errorf("GB/T 30428.2 catalogue has %d event small classes, want at least 10", n)
	}
	byCode := func(cats []Category, k CategoryKind, code string) *Category {
		for i := range cats {
			if cats[i].Kind == k && cats[i].Code == code {
				return &cats[i]
			}
		}
		return nil
	}
	// Facts from the reference (standards.md §2.4, §2.5) that must hold.
	facts := []struct {
		name   string
		cats   []Category
		kind   CategoryKind
		code   string
		want   string
		geom   GeometryType
		bigNam string
	}{
		{"0101 is 上水井盖, a point of 公用设施", old, KindComponent, "0101", "上水井盖", GeomPoint, "公用设施"},
		{"0102 is 污水井盖", old, KindComponent, "0102", "污水井盖", GeomPoint, "公用设施"},
		{"0211 交通护栏 is a line", old, KindComponent, "0211", "交通护栏", GeomLine, "道路交通"},
		{"0405 绿地 is a polygon", old, KindComponent, "0405", "绿地", GeomPolygon, "园林绿化"},
		{"0201 停车场 is a polygon", old, KindComponent, "0201", "停车场", GeomPolygon, "道路交通"},
		{"event 0110 is 暴露垃圾", old, KindEvent, "0110", "暴露垃圾", "", "市容环境"},
		{"event 0405 is 店外经营", old, KindEvent, "0405", "店外经营", "", "街面秩序"},
		{"under 2026, 0101 becomes 01001", nw, KindComponent, "01001", "上水井盖", GeomPoint, "公用设施"},
		{"under 2026, event 0110 becomes 06010", nw, KindEvent, "06010", "暴露垃圾", "", "市容环境"},
		{"under 2026, event 0203 becomes 07003", nw, KindEvent, "07003", "违规户外广告", "", "宣传广告"},
		{"under 2026, event 0405 becomes 09005", nw, KindEvent, "09005", "店外经营", "", "街面秩序"},
		{"under 2026, 06042 is 垃圾站(箱)满溢", nw, KindEvent, "06042", "垃圾站(箱)满溢", "", "市容环境"},
	}
	for _, f := range facts {
		t.Run(f.name, func(t *testing.T) {
			c := byCode(f.cats, f.kind, f.code)
			if c == nil {
				t.Fatalf("%s %s missing", f.kind, f.code)
			}
			if c.Name != f.want || c.Geometry != f.geom || c.BigName != f.bigNam || c.Big != f.code[:2] {
				t.Fatalf("got %+v", *c)
			}
		})
	}
	// Every 2013 component maps to the 2026 code big + "0" + small with the
	// same name, geometry and department.
	for _, c := range old {
		if c.Kind != KindComponent {
			continue
		}
		n := byCode(nw, KindComponent, c.Code[:2]+"0"+c.Code[2:])
		if n == nil || n.Name != c.Name || n.Geometry != c.Geometry || n.Department != c.Department {
			t.Errorf("component %s %s has no matching 2026 entry (got %+v)", c.Code, c.Name, n)
		}
	}
	if count(nw, KindComponent) != count(old, KindComponent) || count(nw, KindEvent) != count(old, KindEvent) {
		t.Error("the two default catalogues differ in size")
	}
	if _, err := DefaultCatalogue("CJ/T 214-2007"); !errors.Is(err, ErrUnknownScheme) {
		t.Errorf("unknown scheme: err = %v, want ErrUnknownScheme", err)
	}
}

func TestReadCatalogueRejects(t *testing.T) {
	const head = `{"scheme":"GB/T 30428.2-2013","big_classes":[{"kind":"component","code":"01","name":"公用设施"},{"kind":"event","code":"01","name":"市容环境"}],"categories":[`
	ok := `{"kind":"component","code":"0101","name":"上水井盖","geometry":"point","department":"ZLS","deadline_class":"urgent"}`
	tests := []struct {
		name string
		doc  string
		want []string // substrings of the error
	}{
		{"an unknown scheme is refused", `{"scheme":"GB/T 1-2000","big_classes":[],"categories":[]}`, []string{"unknown scheme"}},
		{"a code of the wrong length names its entry", head + `{"kind":"component","code":"01001","name":"上水井盖","geometry":"point","department":"ZLS","deadline_class":"urgent"}]}`, []string{"categories[0]", "must be 4 digits"}},
		{"a big class not listed is refused", head + `{"kind":"component","code":"0901","name":"x","geometry":"point","department":"ZLS","deadline_class":"urgent"}]}`, []string{"big class 09"}},
		{"a component without geometry is refused", head + `{"kind":"component","code":"0101","name":"上水井盖","department":"ZLS","deadline_class":"urgent"}]}`, []string{"geometry"}},
		{"an event with a geometry is refused", head + `{"kind":"event","code":"0110","name":"暴露垃圾","geometry":"line","department":"HW","deadline_class":"fast"}]}`, []string{"take no geometry"}},
		{"a duplicate names both entries", head + ok + "," + ok + `]}`, []string{"categories[1]", "already defined by categories[0]"}},
		{"a missing department is refused", head + `{"kind":"component","code":"0101","name":"上水井盖","geometry":"point","deadline_class":"urgent"}]}`, []string{"department"}},
		{"an unknown field is refused", head + `{"kind":"component","code":"0101","nam":"上水井盖"}]}`, []string{"unknown field"}},
		{"broken JSON is refused", head, []string{"read catalogue"}},
		{"an empty catalogue is refused", head + `]}`, []string{"no categories"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadCatalogue(strings.NewReader(tc.doc))
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
	// The same code as a component and as an event is two categories.
	doc := head + ok + `,{"kind":"event","code":"0101","name":"私搭乱建","department":"CGJ","deadline_class":"slow"}]}`
	cats, err := ReadCatalogue(strings.NewReader(doc))
	if err != nil || len(cats) != 2 {
		t.Fatalf("component and event sharing a code: %v, %d categories", err, len(cats))
	}
}

func TestDefaultCatalogueJSONReadsBackAsTheDefault(t *testing.T) {
	for _, scheme := range []string{SchemeGBT30428, SchemeGBT47678} {
		b, err := DefaultCatalogueJSON(scheme)
		if err != nil {
			t.Fatal(err)
		}
		read, err := ReadCatalogue(strings.NewReader(string(b)))
		if err != nil {
			t.Fatal(err)
		}
		def, _ := DefaultCatalogue(scheme)
		if len(read) != len(def) {
			t.Fatalf("%s: %d categories read back, %d by default", scheme, len(read), len(def))
		}
		seen := map[Category]bool{}
		for _, c := range def {
			seen[c] = true
		}
		for _, c := range read {
			if !seen[c] {
				t.Errorf("%s: %+v read back is not in the default catalogue", scheme, c)
			}
		}
	}
}

// FuzzReadCatalogue: any input is either refused with an error or yields
// categories that satisfy every rule ReadCatalogue promises.
func FuzzReadCatalogue(f *testing.F) {
	for _, s := range []string{SchemeGBT30428, SchemeGBT47678} {
		b, err := DefaultCatalogueJSON(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Add(`{"scheme":"GB/T 30428.2-2013","big_classes":[{"kind":"event","code":"01","name":"市容环境"}],"categories":[{"kind":"event","code":"0110","name":"暴露垃圾","department":"HW","deadline_class":"fast"}]}`)
	f.Add(`{"scheme":"GB/T 47678.5-2026","big_classes":[],"categories":[]}`)
	f.Fuzz(func(t *testing.T, doc string) {
		cats, err := ReadCatalogue(strings.NewReader(doc))
		if err != nil {
			return
		}
		type key struct {
			kind CategoryKind
			code string
		}
		seen := map[key]bool{}
		for _, c := range cats {
			if err := CheckCategoryCode(c.Scheme, c.Code); err != nil {
				t.Fatalf("accepted %+v: %v", c, err)
			}
			if c.Big != c.Code[:2] || c.BigName == "" || c.Name == "" || c.Department == "" || c.DeadlineClass == "" {
				t.Fatalf("accepted incomplete %+v", c)
			}
			if (c.Kind == KindComponent) == (c.Geometry == "") {
				t.Fatalf("accepted %+v with the wrong geometry for its kind", c)
			}
			if seen[key{c.Kind, c.Code}] {
				t.Fatalf("accepted duplicate %s %s", c.Kind, c.Code)
			}
			seen[key{c.Kind, c.Code}] = true
		}
	})
}
