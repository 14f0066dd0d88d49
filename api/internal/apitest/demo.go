package apitest

import (
	"context"
	"testing"

	"citygrid/data"
	"citygrid/data/demo"
	"citygrid/spatial"
	"citygrid/tiles"
)

// DemoTiles generates the demo city of seed and scale, indexes it and
// makes its tile provider, for tests that serve tiles or features over a
// city bigger than the hand-built one.
func DemoTiles(t testing.TB, seed int64, scale float64) (*data.Dataset, *spatial.Index, *tiles.Provider) {
	t.Helper()
	ds, err := demo.Generate(context.Background(), demo.Options{Seed: seed, Scale: scale})
	if err != nil {
		t.Fatal(err)
	}
	ix, p := IndexAndTiles(t, ds)
	return ds, ix, p
}

// IndexAndTiles indexes ds and makes its tile provider.
func IndexAndTiles(t testing.TB, ds *data.Dataset) (*spatial.Index, *tiles.Provider) {
	t.Helper()
	ix, err := spatial.Build(ds)
	if err != nil {
		t.Fatal(err)
	}
	ts, err := tiles.New(ix, tiles.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p, _ := tiles.NewProvider(ts, nil, 0)
	return ix, p
}
