package demo

import (
	_ "embed"
	"encoding/csv"
	"fmt"
	"strings"

	"citygrid/data"
)

// divisionsCSV is the real division table of 雨花台区 (GB/T 2260 county
// code, GB/T 10114 street codes, 统计用区划代码 of the communities):
// level,code,name,parent_code.
//
//go:embed 320114-divisions.csv
var divisionsCSV string

// DistrictCode is the GB/T 2260 code of 雨花台区, the demo district.
const DistrictCode = "320114"

// division is one row of the division table.
type division struct {
	level  data.AdminLevel
	code   string
	name   string
	parent string
}

// divisions is the parsed division table: the district, its streets and
// their communities, in file order.
type divisions struct {
	district    division
	streets     []division
	communities [][]division // per street, in file order
}

func loadDivisions() (*divisions, error) {
	r := csv.NewReader(strings.NewReader(divisionsCSV))
	rows, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("read embedded divisions: %w", err)
	}
	d := &divisions{}
	streetIdx := map[string]int{}
	for n, row := range rows[1:] {
		if len(row) != 4 {
			return nil, fmt.Errorf("divisions line %d: want 4 fields, got %d", n+2, len(row))
		}
		dv := division{data.AdminLevel(row[0]), row[1], row[2], row[3]}
		if err := data.CheckAdminCode(dv.level, dv.code, dv.parent); err != nil {
			return nil, fmt.Errorf("divisions line %d: %w", n+2, err)
		}
		switch dv.level {
		case data.LevelDistrict:
			d.district = dv
		case data.LevelStreet:
			streetIdx[dv.code] = len(d.streets)
			d.streets = append(d.streets, dv)
			d.communities = append(d.communities, nil)
		case data.LevelCommunity:
			s, ok := streetIdx[dv.parent]
			if !ok {
				return nil, fmt.Errorf("divisions line %d: community %s before its street %s", n+2, dv.code, dv.parent)
			}
			d.communities[s] = append(d.communities[s], dv)
		}
	}
	if d.district.code != DistrictCode {
		return nil, fmt.Errorf("embedded divisions are for %q, want %s", d.district.code, DistrictCode)
	}
	return d, nil
}
