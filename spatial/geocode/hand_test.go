package geocode

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"citygrid/data"

	"github.com/paulmach/orb"
)

func levelOf(s string) data.AdminLevel { return data.AdminLevel(s) }

func box(x0, y0, x1, y1 float64) orb.MultiPolygon {
	return orb.MultiPolygon{{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}}
}

// handDataset is a district of 0.1° × 0.1° split into two streets: the
// west one (雨花街道) into 丁墙 (south) and 康盛 (north), the east one
// (赛虹桥街道) one community; each community is one unit grid. 软件大道 runs
// west→east along lat 31.97 with odd numbers on the north side (1…15
// without 7) and even on the south (2, 4, 8, 10, 12, 14); number n stands
// at lon 118.70 + n·0.005. 翠竹路 runs north–south along lon 118.72.
func handDataset() *data.Dataset {
	ds := &data.Dataset{}
	ds.AdminUnits = []data.AdminUnit{
		{Level: data.LevelDistrict, Code: "320114", Name: "雨花台区", Parent: "3201", Geometry: box(118.70, 31.95, 118.80, 32.05)},
		{Level: data.LevelStreet, Code: "320114001", Name: "雨花街道", Parent: "320114", Geometry: box(118.70, 31.95, 118.75, 32.05)},
		{Level: data.LevelStreet, Code: "320114002", Name: "赛虹桥街道", Parent: "320114", Geometry: box(118.75, 31.95, 118.80, 32.05)},
		{Level: data.LevelCommunity, Code: "320114001002", Name: "丁墙社区居委会", Parent: "320114001", Geometry: box(118.70, 31.95, 118.75, 32.00)},
		{Level: data.LevelCommunity, Code: "320114001003", Name: "康盛社区居委会", Parent: "320114001", Geometry: box(118.70, 32.00, 118.75, 32.05)},
		{Level: data.LevelCommunity, Code: "320114002001", Name: "赛虹桥社区居委会", Parent: "320114002", Geometry: box(118.75, 31.95, 118.80, 32.05)},
	}
	for _, u := range ds.AdminUnits[3:] {
		ds.UnitGrids = append(ds.UnitGrids, data.UnitGrid{Code: u.Code + "001", Community: u.Code, Geometry: u.Geometry, AreaM2: 1})
	}
	ds.Roads = []data.Road{
		{Code: "320114L0001", Name: "软件大道", District: "320114", Geometry: orb.MultiLineString{{{118.70, 31.97}, {118.80, 31.97}}}},
		{Code: "320114L0002", Name: "翠竹路", District: "320114", Geometry: orb.MultiLineString{{{118.72, 31.96}, {118.72, 32.04}}}},
	}
	add := func(road, name string, n int, p orb.Point) {
		street, comm := "雨花街道", "320114001002"
		if p[0] > 118.75 {
			street, comm = "赛虹桥街道", "320114002001"
		} else if p[1] > 32.00 {
			comm = "320114001003"
		}
		ds.Addresses = append(ds.Addresses, data.Address{
			Code: fmt.Sprintf("%sA%02d", road, n), Road: road, Number: fmt.Sprint(n),
			FullAddress: fmt.Sprintf("雨花台区%s%s%d号", street, name, n), Community: comm, Point: p,
		})
	}
	for n := 1; n <= 15; n += 2 {
		if n != 7 {
			add("320114L0001", "软件大道", n, orb.Point{118.70 + float64(n)*0.005, 31.9702})
		}
	}
	for _, n := range []int{2, 4, 8, 10, 12, 14} {
		add("320114L0001", "软件大道", n, orb.Point{118.70 + float64(n)*0.005, 31.9698})
	}
	add("320114L0002", "翠竹路", 1, orb.Point{118.7202, 32.03})
	add("320114L0002", "翠竹路", 2, orb.Point{118.7198, 32.03})
	ds.POIs = []data.POI{
		{Code: "320114P01", Name: "雨花客厅", Kind: "mall", Landmark: true, Point: orb.Point{118.76, 31.99}},
		{Code: "320114P02", Name: "南京市雨花台区翠竹小学", Kind: "school", Point: orb.Point{118.722, 32.01}},
		{Code: "320114P03", Name: "丁墙社区居委会", Kind: "government", Point: orb.Point{118.73, 31.96}},
	}
	return ds
}

func handCity(t testing.TB) *Geocoder {
	t.Helper()
	g, err := Build(handDataset())
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func near(a, b orb.Point) bool { return math.Abs(a[0]-b[0]) < 1e-9 && math.Abs(a[1]-b[1]) < 1e-9 }

func TestForwardHandCity(t *testing.T) {
	g := handCity(t)
	for _, c := range []struct {
		name, q   string
		level     Level
		code      string
		point     *orb.Point // nil: not checked
		unitGrid  string
		wantScore float64 // checked when > 0
	}{
		{"a full standard address is its door plate", "雨花台区雨花街道软件大道3号", LevelDoorPlate, "320114L0001A03", &orb.Point{118.715, 31.9702}, "320114001002001", 1},
		{"a road and number alone find the door plate", "软件大道3号", LevelDoorPlate, "320114L0001A03", nil, "", 1},
		{"full-width digits and 號 are read", "软件大道１３號", LevelDoorPlate, "320114L0001A13", nil, "320114002001001", 1},
		{"reordered levels still find the plate", "软件大道3号 雨花街道 雨花台区", LevelDoorPlate, "320114L0001A03", nil, "", 1},
		{"a suffix variant of the road name finds the plate", "软件大路3号", LevelDoorPlate, "320114L0001A03", nil, "", 0},
		{"a mistyped road name finds the plate", "软件大到3号", LevelDoorPlate, "320114L0001A03", nil, "", 0},
		{"a missing even number is interpolated halfway between 4 and 8", "软件大道6号", LevelInterpolated, "320114L0001#6", &orb.Point{118.73, 31.9698}, "320114001002001", 0},
		{"a missing odd number is interpolated between 5 and 9 on the odd side", "软件大道7号", LevelInterpolated, "320114L0001#7", &orb.Point{118.735, 31.9702}, "", 0},
		{"a number just past the last plate is placed along the road by its spacing", "软件大道17号", LevelInterpolated, "320114L0001#17", &orb.Point{118.785, 31.9702}, "", 0},
		{"a number far past the last plate stops at the road's end", "软件大道99号", LevelInterpolated, "320114L0001#99", &orb.Point{118.80, 31.9702}, "", 0},
		{"a sub-number not surveyed falls back to its main number", "软件大道5-1号", LevelDoorPlate, "320114L0001A05", nil, "", 0},
		{"a road named with a street is placed at its plates in that street", "赛虹桥街道软件大道", LevelRoad, "320114L0001", &orb.Point{118.765, 31.9702}, "320114002001001", 1},
		{"a community's short name is the community", "丁墙社区", LevelCommunity, "320114001002", nil, "320114001002001", 1},
		{"a street and community with 附近 is the community", "雨花街道 康盛社区附近", LevelCommunity, "320114001003", nil, "320114001003001", 1},
		{"a landmark is found by name", "雨花客厅", LevelLandmark, "320114P01", &orb.Point{118.76, 31.99}, "320114002001001", 1},
		{"a POI is found without its city and district prefix", "翠竹小学", LevelPOI, "320114P02", nil, "320114001003001", 0},
		{"a street alone is the street", "赛虹桥街道", LevelStreet, "320114002", nil, "320114002001001", 1},
		{"the district alone is the district", "雨花台区", LevelDistrict, "320114", nil, "", 1},
		{"a building part does not lower the score", "软件大道3号2栋1单元", LevelDoorPlate, "320114L0001A03", nil, "", 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			res, err := g.Forward(c.q, 5)
			if err != nil {
				t.Fatal(err)
			}
			if len(res) == 0 {
				t.Fatalf("Forward(%q): no results", c.q)
			}
			r := res[0]
			if r.Level != c.level || r.Code != c.code {
				t.Fatalf("Forward(%q)[0] = %s %s %q, want %s %s", c.q, r.Level, r.Code, r.Label, c.level, c.code)
			}
			if c.point != nil && !near(orb.Point(r.Geometry), *c.point) {
				t.Errorf("point %v, want %v", r.Geometry, *c.point)
			}
			if c.unitGrid != "" && r.UnitGrid != c.unitGrid {
				t.Errorf("unit grid %q, want %q", r.UnitGrid, c.unitGrid)
			}
			if c.wantScore > 0 && r.Score != c.wantScore {
				t.Errorf("score %v, want %v", r.Score, c.wantScore)
			}
			for i := 1; i < len(res); i++ {
				if res[i].Score > res[i-1].Score {
					t.Errorf("results not best first: %v after %v", res[i].Score, res[i-1].Score)
				}
			}
		})
	}
}

func TestForwardPenalisesLevelsThePlaceIsNotIn(t *testing.T) {
	g := handCity(t)
	right, _ := g.Forward("雨花街道软件大道3号", 1)
	wrong, _ := g.Forward("赛虹桥街道软件大道3号", 1)
	if right[0].Code != "320114L0001A03" || wrong[0].Code != "320114L0001A03" {
		t.Fatalf("got %s and %s, want the plate 3 both times", right[0].Code, wrong[0].Code)
	}
	// The road runs through 赛虹桥街道 but plate 3 does not lie in it: all
	// 11 characters explained, less partlyCost for the street.
	if right[0].Score != 1 || math.Abs(wrong[0].Score-(11-partlyCost)/11) > 1e-4 {
		t.Errorf("scores %v and %v, want 1 and %.4f", right[0].Score, wrong[0].Score, (11-partlyCost)/11)
	}
	// A street the road does not run through at all is read, set aside
	// and reported: the plate first (10 characters less ignoreCost), then
	// the road with the same street set aside, and the street alone last.
	far, _ := g.Forward("赛虹桥街道翠竹路1号", 3)
	if len(far) < 3 || far[0].Code != "320114L0002A01" || math.Abs(far[0].Score-(10-ignoreCost)/10) > 1e-4 ||
		far[1].Code != "320114L0002" || far[2].Code != "320114002" {
		t.Fatalf("got %+v, want 翠竹路1号 with %.4f, then the road, then the street", far, (10-ignoreCost)/10)
	}
	want := []Part{{Text: "赛虹桥街道", Role: "street", Note: noteText[noteNotIn]}}
	if !slices.Equal(far[0].Ignored, want) {
		t.Errorf("ignored %+v, want %+v", far[0].Ignored, want)
	}
	if far[0].Precision != PrecisionPlate || len(far[0].Matched) != 2 || far[0].Matched[0].Role != "road" || far[0].Matched[1] != (Part{Text: "1号", Role: "number"}) {
		t.Errorf("precision %s, matched %+v; want plate, the road and the number", far[0].Precision, far[0].Matched)
	}
}

func TestForwardQueryJoinsFieldsInOrder(t *testing.T) {
	g := handCity(t)
	res, err := g.ForwardQuery(Query{Street: "雨花街道", Road: "软件大道", Number: "5"}, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) == 0 || res[0].Code != "320114L0001A05" || res[0].Score != 1 {
		t.Fatalf("got %+v, want the plate 5 with score 1", res)
	}
	if _, err := g.ForwardQuery(Query{}, 3); !isValidation(err) {
		t.Errorf("empty structured query: err %v, want a validation error", err)
	}
}

func isValidation(err error) bool {
	var ve *data.ValidationError
	return errors.As(err, &ve)
}

func TestForwardRejectsEmptyAndOversizedText(t *testing.T) {
	g := handCity(t)
	for _, q := range []string{"", "   ", strings.Repeat("路", 300), "软件\xff"} {
		if _, err := g.Forward(q, 5); !isValidation(err) && q != "软件\xff" {
			t.Errorf("Forward(%q): err %v, want a validation error", q, err)
		}
	}
	res, err := g.Forward("完全无关的文字", 5)
	if err != nil || len(res) != 0 {
		t.Errorf("unrelated text: %v %v, want no results and no error", res, err)
	}
}

func TestResultJSONShape(t *testing.T) {
	g := handCity(t)
	res, _ := g.Forward("软件大道3号", 1)
	b, err := json.Marshal(map[string]any{"results": res})
	if err != nil {
		t.Fatal(err)
	}
	var back struct {
		Results []struct {
			Label    string  `json:"label"`
			Score    float64 `json:"score"`
			Level    string  `json:"level"`
			UnitGrid string  `json:"unit_grid"`
			Geometry struct {
				Type        string     `json:"type"`
				Coordinates [2]float64 `json:"coordinates"`
			} `json:"geometry"`
		} `json:"results"`
	}
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	r := back.Results[0]
	if r.Label != "雨花台区雨花街道软件大道3号" || r.Level != "door_plate" || r.UnitGrid != "320114001002001" ||
		r.Geometry.Type != "Point" || r.Geometry.Coordinates != [2]float64{118.715, 31.9702} || r.Score != 1 {
		t.Errorf("JSON %s decodes to %+v", b, r)
	}
}

func TestSuggest(t *testing.T) {
	g := handCity(t)
	for _, c := range []struct {
		name, q string
		want    []string // labels of the first results, in order
	}{
		{"pinyin initials complete a road", "rjdd", []string{"软件大道"}},
		{"full pinyin completes a road", "ruanjian", []string{"软件大道"}},
		{"a Chinese prefix completes a road", "软件", []string{"软件大道"}},
		{"a community is completed by its short name", "丁墙", []string{"丁墙社区居委会"}},
		{"digits after a road list its plates by number", "软件大道1", []string{"雨花台区雨花街道软件大道1号", "雨花台区雨花街道软件大道10号", "雨花台区赛虹桥街道软件大道11号", "雨花台区赛虹桥街道软件大道12号"}},
		{"a POI is completed without its city prefix", "翠竹小", []string{"南京市雨花台区翠竹小学"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			res, err := g.Suggest(c.q, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(res) < len(c.want) {
				t.Fatalf("Suggest(%q) = %v, want at least %v", c.q, labels(res), c.want)
			}
			for i, w := range c.want {
				if res[i].Label != w {
					t.Fatalf("Suggest(%q) = %v, want %v first", c.q, labels(res), c.want)
				}
			}
		})
	}
	if _, err := g.Suggest("", 5); !isValidation(err) {
		t.Errorf("empty prefix: %v, want a validation error", err)
	}
}

func labels(rs []Result) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Label
	}
	return out
}

func TestReverseHandCity(t *testing.T) {
	g := handCity(t)
	p := orb.Point{118.715, 31.9703}
	rr, err := g.Reverse(p)
	if err != nil {
		t.Fatal(err)
	}
	byLevel := map[Level]Result{}
	for _, r := range rr.Results {
		byLevel[r.Level] = r
	}
	plate := byLevel[LevelDoorPlate]
	if plate.Code != "320114L0001A03" || math.Abs(*plate.DistanceM-0.0001*metresPerDegree) > 0.01 {
		t.Errorf("door plate %s at %v m, want plate 3 at %.2f m", plate.Code, *plate.DistanceM, 0.0001*metresPerDegree)
	}
	road := byLevel[LevelRoad]
	if road.Code != "320114L0001" || math.Abs(*road.DistanceM-0.0003*metresPerDegree) > 0.01 || !near(orb.Point(road.Geometry), orb.Point{118.715, 31.97}) {
		t.Errorf("road %s at %v m foot %v, want 软件大道 at %.2f m foot (118.715, 31.97)", road.Code, *road.DistanceM, road.Geometry, 0.0003*metresPerDegree)
	}
	if byLevel[LevelLandmark].Code != "320114P01" {
		t.Errorf("landmark %q, want 雨花客厅", byLevel[LevelLandmark].Code)
	}
	if rr.Location == nil || rr.Location.UnitGrid.Code != "320114001002001" {
		t.Errorf("location %+v, want unit grid 320114001002001", rr.Location)
	}
	if rr.Description != "雨花台区雨花街道软件大道3号北约11米" {
		t.Errorf("description %q", rr.Description)
	}
	for i := 1; i < len(rr.Results); i++ {
		if *rr.Results[i].DistanceM < *rr.Results[i-1].DistanceM {
			t.Errorf("results not nearest first")
		}
	}
	if _, err := g.Reverse(orb.Point{200, 0}); !isValidation(err) {
		t.Errorf("longitude 200: %v, want a validation error", err)
	}
}

func TestNamesWithRepeatedCharactersMatchExactly(t *testing.T) {
	ds := handDataset()
	ds.POIs = append(ds.POIs, data.POI{Code: "320114P09", Name: "哈哈哈哈乐园", Kind: "park", Point: orb.Point{118.71, 31.96}})
	g, err := Build(ds)
	if err != nil {
		t.Fatal(err)
	}
	res, err := g.Forward("哈哈哈哈乐园", 1)
	if err != nil || len(res) == 0 || res[0].Code != "320114P09" || res[0].Score != 1 {
		t.Fatalf("got %+v %v, want the POI with score 1", res, err)
	}
}

func TestConcurrentQueriesAnswerAsSequentialOnes(t *testing.T) {
	g := handCity(t)
	qs := []string{"软件大道3号", "软件大道6号", "丁墙社区", "雨花客厅", "翠竹小学", "赛虹桥街道软件大道", "软件大道与翠竹路交叉口", "赛虹桥街道翠竹路1号", "软件大道十七号"}
	want := make([]string, len(qs))
	for i, q := range qs {
		res, _ := g.Forward(q, 3)
		b, _ := json.Marshal(res)
		want[i] = string(b)
	}
	done := make(chan error, 8)
	for w := range 8 {
		go func() {
			for k := range 200 {
				i := (w + k) % len(qs)
				res, err := g.Forward(qs[i], 3)
				if err != nil {
					done <- err
					return
				}
				if b, _ := json.Marshal(res); string(b) != want[i] {
					done <- fmt.Errorf("%s: %s, sequentially %s", qs[i], b, want[i])
					return
				}
				if _, err := g.Reverse(orb.Point{118.70 + float64(k)*0.0005, 31.97}); err != nil {
					done <- err
					return
				}
				if res, err := g.Suggest([]string{"rjdd", "ruanjiang", "软件"}[k%3], 3); err != nil || len(res) == 0 {
					done <- fmt.Errorf("suggest: %v %v", res, err)
					return
				}
			}
			done <- nil
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}
