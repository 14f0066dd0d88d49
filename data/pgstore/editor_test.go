package pgstore_test

import (
	"context"
	"testing"

	"citygrid/data/pgstore"
	"citygrid/data/storetest"
)

// openEditor makes a store in a schema of its own and a way to open a
// second Store (another replica) on the same schema.
func openEditor(url string) storetest.OpenEditor {
	return func(t testing.TB) (storetest.Editable, func(testing.TB) storetest.Editable) {
		st := openTemp(t, url)
		return st, func(t testing.TB) storetest.Editable {
			o, err := pgstore.Open(context.Background(), url, pgstore.Options{Schema: st.Schema()})
			if err != nil {
				t.Fatal(err)
			}
			return o
		}
	}
}

func TestPostgresEditor(t *testing.T) {
	storetest.RunEditor(t, openEditor(testURL(t)))
	storetest.RunEditorBatch(t, openEditor(testURL(t)))
	storetest.RunUnitGridHistory(t, openEditor(testURL(t)))
}

// BenchmarkPostgresSingleEdit: single conditional edits (PatchComponent)
// per second on the throwaway cluster of TestMain:
//
//	go test -run '^$' -bench SingleEdit -benchtime 2s ./data/pgstore
func BenchmarkPostgresSingleEdit(b *testing.B) {
	storetest.BenchSingleEdit(b, openEditor(testURL(b)))
}

// BenchmarkPostgresParallelEdits: single edits from 16 concurrent clients
// through one Store (writers serialised by the change counter):
//
//	go test -run '^$' -bench ParallelEdits -benchtime 2s ./data/pgstore
func BenchmarkPostgresParallelEdits(b *testing.B) {
	storetest.BenchParallelEdits(b, openEditor(testURL(b)))
}
