package cql2

import "testing"

// BenchmarkMatch measures one filter on one feature, the inner loop of
// an items query.
func BenchmarkMatch(b *testing.B) {
	for _, src := range []string{
		`status = 'damaged' AND version >= 1`,
		`name LIKE '路灯%' OR status IN ('lost', 'damaged')`,
		`S_INTERSECTS(grid, BBOX(116.3, 39.7, 116.6, 39.95))`,
	} {
		e, err := ParseText(src)
		if err != nil {
			b.Fatal(err)
		}
		f, _ := Compile(e, nil)
		b.Run(src, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				f.Match(lamp)
			}
		})
	}
}
