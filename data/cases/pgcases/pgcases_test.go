package pgcases_test

import (
	"testing"

	"citygrid/data/cases"
	"citygrid/data/cases/casestest"
	"citygrid/data/cases/pgcases"
)

// TestMain stops the throwaway PostgreSQL cluster the tests started, if
// any.
func TestMain(m *testing.M) { casestest.Main(m) }

func openPG(t testing.TB, n int) []*pgcases.Store { return casestest.OpenPG(t, n) }

// The shared suite on PostgreSQL: two stores (two replicas) on one
// database.
func TestStoreSuite(t *testing.T) {
	casestest.Run(t, func(t *testing.T) (a, b cases.ServerStore) {
		s := openPG(t, 2)
		return s[0], s[1]
	})
}
