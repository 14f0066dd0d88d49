package geocode

import (
	"slices"
	"strings"
	"testing"

	"citygrid/data"

	"github.com/paulmach/orb"
)

func roles(ps []Part) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Role + ":" + p.Text
	}
	return out
}

// In the hand city 软件大道 runs along lat 31.97 and 翠竹路 along lon
// 118.72: they cross at (118.72, 31.97).
func TestIntersectionsOnTheHandCity(t *testing.T) {
	g := handCity(t)
	for _, c := range []struct {
		name, q string
		matched []string
	}{
		{"A与B交叉口", "软件大道与翠竹路交叉口", []string{"road:软件大道", "connector:与", "road:翠竹路", "position:交叉口"}},
		{"AB口, the other way round", "翠竹路软件大道口", []string{"road:翠竹路", "road:软件大道", "position:口"}},
		{"a connector alone", "软件大道和翠竹路", []string{"road:软件大道", "connector:和", "road:翠竹路"}},
		{"on one road near the other", "软件大道靠近翠竹路", []string{"road:软件大道", "connector:靠近", "road:翠竹路"}},
		{"a corner of the crossing", "软件大道翠竹路交叉口西南角", []string{"road:软件大道", "road:翠竹路", "position:交叉口西南角"}},
		{"a crossing with a near tail and traditional characters", "軟件大道交翠竹路路口附近", []string{"road:软件大道", "connector:交", "road:翠竹路", "position:路口附近"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			res, err := g.Forward(c.q, 3)
			if err != nil || len(res) == 0 {
				t.Fatalf("Forward(%q) = %v, %v", c.q, res, err)
			}
			r := res[0]
			if r.Level != LevelIntersection || r.Precision != PrecisionIntersection || !near(orb.Point(r.Geometry), orb.Point{118.72, 31.97}) {
				t.Fatalf("got %s %s at %v, want the crossing at (118.72, 31.97)", r.Level, r.Label, r.Geometry)
			}
			if r.Code != "320114L0001&320114L0002" || r.Score != 1 || r.UnitGrid != "320114001002001" {
				t.Errorf("code %s score %v grid %s", r.Code, r.Score, r.UnitGrid)
			}
			if got := roles(r.Matched); !slices.Equal(got, c.matched) {
				t.Errorf("matched %v, want %v", got, c.matched)
			}
		})
	}
	// Roads that do not meet: 雨花东路 ends 0.01° north of 软件大道; the
	// answer is the middle of their nearest approach, said to be so.
	ds := handDataset()
	ds.Roads = append(ds.Roads, data.Road{Code: "320114L0003", Name: "雨花东路", District: "320114", Geometry: orb.MultiLineString{{{118.76, 31.98}, {118.76, 32.04}}}})
	g2, err := Build(ds)
	if err != nil {
		t.Fatal(err)
	}
	res, _ := g2.Forward("软件大道与雨花东路交叉口", 1)
	if len(res) == 0 || res[0].Level != LevelIntersection || !near(orb.Point(res[0].Geometry), orb.Point{118.76, 31.975}) {
		t.Fatalf("got %+v, want the middle of the nearest approach at (118.76, 31.975)", res)
	}
	if m := res[0].Matched; len(m) < 3 || m[2].Note != noteText[noteNoMeet] || res[0].Score >= 1 {
		t.Errorf("matched %+v score %v: want the second road noted as not meeting and a score below 1", m, res[0].Score)
	}
}

func TestAnswersSayHowTheyReadTheQuery(t *testing.T) {
	g := handCity(t)
	for _, c := range []struct {
		name, q   string
		code      string
		precision Precision
		matched   []string
		ignored   []string
		note      string // the number's note
	}{
		{"a surveyed plate", "软件大道3号", "320114L0001A03", PrecisionPlate, []string{"road:软件大道", "number:3号"}, nil, ""},
		{"a Chinese number", "软件大道十三号", "320114L0001A13", PrecisionPlate, []string{"road:软件大道", "number:13号"}, nil, ""},
		{"a compound", "软件大道3号院2栋", "320114L0001A03", PrecisionPlate, []string{"road:软件大道", "number:3号"}, nil, noteText[noteCompound]},
		{"an interpolated number", "软件大道6号", "320114L0001#6", PrecisionInterpolated, []string{"road:软件大道", "number:6号"}, nil, noteText[noteBetween]},
		{"a number past the last plate", "软件大道17号", "320114L0001#17", PrecisionInterpolated, []string{"road:软件大道", "number:17号"}, nil, noteText[notePastLast]},
		{"words around the address", "请到软件大道3号门口有垃圾", "320114L0001A03", PrecisionPlate, []string{"road:软件大道", "number:3号", "position:门口有垃圾"}, []string{"text:请到"}, ""},
		{"a community is an area", "丁墙居委", "320114001002", PrecisionArea, []string{"community:丁墙居委"}, nil, ""},
		{"a landmark is a POI", "雨花客厅对面", "320114P01", PrecisionPOI, []string{"poi:雨花客厅", "position:对面"}, nil, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			res, err := g.Forward(c.q, 1)
			if err != nil || len(res) == 0 {
				t.Fatalf("Forward(%q) = %v, %v", c.q, res, err)
			}
			r := res[0]
			if r.Code != c.code || r.Precision != c.precision {
				t.Fatalf("got %s %s, want %s %s", r.Code, r.Precision, c.code, c.precision)
			}
			if got := roles(r.Matched); !slices.Equal(got, c.matched) {
				t.Errorf("matched %v, want %v", got, c.matched)
			}
			if got := roles(r.Ignored); !slices.Equal(got, c.ignored) && len(got)+len(c.ignored) > 0 {
				t.Errorf("ignored %v, want %v", got, c.ignored)
			}
			for _, p := range r.Matched {
				if p.Role == "number" && p.Note != c.note {
					t.Errorf("number note %q, want %q", p.Note, c.note)
				}
			}
		})
	}
}

func TestVocabularyFiles(t *testing.T) {
	for _, bad := range []string{"kind market", "abbr 工商银行", "org", "color red", "kind market \xff"} {
		if _, err := ParseVocabulary(strings.NewReader(bad)); !isValidation(err) {
			t.Errorf("ParseVocabulary(%q): %v, want a validation error", bad, err)
		}
	}
	v, err := ParseVocabulary(strings.NewReader("# a city's words\n\nkind school 小学 学校\nabbr 翠竹小学 翠小\norg 教育集团\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := v.kinds["school"]; !slices.Equal(got, []string{"学校", "小学"}) {
		t.Errorf("school words %v", got)
	}
	// The default vocabulary finds a 农贸市场 as 菜场; the city's
	// extension adds 翠小 for 翠竹小学.
	ds := handDataset()
	ds.POIs = append(ds.POIs, data.POI{Code: "320114P04", Name: "翠竹农贸市场", Kind: "market", Point: orb.Point{118.725, 31.99}})
	plain, err := Build(ds)
	if err != nil {
		t.Fatal(err)
	}
	city, err := Build(ds, WithVocabulary(DefaultVocabulary().Extend(v)))
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range []*Geocoder{plain, city} {
		if res, _ := g.Forward("翠竹菜场", 1); len(res) == 0 || res[0].Code != "320114P04" {
			t.Errorf("翠竹菜场: %+v, want the market", res)
		}
	}
	if res, _ := plain.Forward("翠小", 1); len(res) > 0 && res[0].Code == "320114P02" {
		t.Errorf("翠小 without the city's vocabulary: %+v, want no school", res)
	}
	if res, _ := city.Forward("翠小", 1); len(res) == 0 || res[0].Code != "320114P02" {
		t.Errorf("翠小 with the city's vocabulary: %+v, want the school", res)
	}
	if _, err := LoadVocabulary("testdata/no-such-file.txt"); err == nil {
		t.Error("LoadVocabulary of a missing file: no error")
	}
}
