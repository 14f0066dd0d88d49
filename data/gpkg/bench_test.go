package gpkg_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"citygrid/data"
	"citygrid/data/gpkg"
	"citygrid/data/gpkg/gpkgtest"
)

var benchComponents = flag.Int("components", 100_000, "components per Insert/Load benchmark operation")

// syntheticCity builds n point components and n/32 unit grids on a
// regular lattice around the sample city.
func syntheticCity(n int) *data.Dataset {
	ds := &data.Dataset{}
	survey := time.Date(2023, 5, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < n/32; i++ {
		x, y := 118.70+float64(i%400)*0.001, 31.90+float64(i/400)*0.001
		ds.UnitGrids = append(ds.UnitGrids, data.UnitGrid{
			Code:      fmt.Sprintf("320114%03d%03d%03d", 1+i/999/999, 1+i/999%999, 1+i%999),
			Community: fmt.Sprintf("320114%03d%03d", 1+i/999/999, 1+i/999%999),
			Geometry:  orb.MultiPolygon{{gpkgtest.Rect(x, y, x+0.001, y+0.001)}},
			AreaM2:    10000,
		})
	}
	cats := []string{"0101", "0102", "0103", "0201", "0202", "0301"}
	for i := 0; i < n; i++ {
		cat := cats[i%len(cats)]
		ds.Components = append(ds.Components, data.Component{
			Code: data.ComponentCode("320114", cat, i+1), Category: cat, Name: "井盖",
			Geometry:   orb.Point{118.70 + float64(i%1000)*0.0002, 31.90 + float64(i/1000)*0.0002},
			Department: "D0003", Owner: "D0003", Maintainer: "D0010", Status: data.StatusIntact,
			UnitGrid: "320114001001001", SurveyDate: survey, ChangedAt: survey.Add(time.Duration(i) * time.Second), Version: 1,
		})
	}
	return ds
}

func BenchmarkInsert(b *testing.B) {
	ds := syntheticCity(*benchComponents)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	var size int64
	var cpuTotal time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		path := filepath.Join(b.TempDir(), "bench.gpkg")
		st, err := gpkg.Open(ctx, path)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		cpu := cpuTime()
		if err := st.Insert(ctx, ds); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		cpuTotal += cpuTime() - cpu
		st.Close()
		if fi, err := os.Stat(path); err == nil {
			size = fi.Size()
		}
		b.StartTimer()
	}
	b.ReportMetric(cpuTotal.Seconds()/float64(b.N), "cpu-s/op")
	b.ReportMetric(float64(len(ds.Components)), "components/op")
	b.ReportMetric(float64(size)/1e6, "MB")
}

func BenchmarkLoad(b *testing.B) {
	ctx := context.Background()
	st, _ := openTemp(b)
	if err := st.Insert(ctx, syntheticCity(*benchComponents)); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime()
	for i := 0; i < b.N; i++ {
		ds, err := st.Load(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if len(ds.Components) != *benchComponents {
			b.Fatalf("loaded %d components", len(ds.Components))
		}
	}
	b.ReportMetric((cpuTime()-cpu).Seconds()/float64(b.N), "cpu-s/op")
	b.ReportMetric(float64(*benchComponents), "components/op")
}

// cpuTime is the process's user+system CPU time: on a shared machine it
// varies far less than wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
