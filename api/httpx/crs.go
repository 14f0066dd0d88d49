package httpx

import (
	"citygrid/spatial/crs"

	"github.com/paulmach/orb"
)

// ParseCRS reads a crs parameter (crs.Parse) as a 400 naming field.
func ParseCRS(field, s string) (crs.CRS, error) {
	c, err := crs.Parse(s)
	if err != nil {
		return "", BadRequest(field, "unknown CRS "+Quote(s)+": want cgcs2000, wgs84, gcj02 or bd09")
	}
	return c, nil
}

// LonLatToStorage converts a written point given in the CRS named by
// crsName (field names it in a 400) to storage coordinates, in place. A
// missing coordinate is left alone: the writer's own checks refuse it.
// Writes convert exactly as the lookups do, so a phone's GCJ-02 report
// lands where its WGS84 twin does.
func LonLatToStorage(field, crsName string, lon, lat *float64) error {
	c, err := ParseCRS(field, crsName)
	if err != nil || lon == nil || lat == nil {
		return err
	}
	p := crs.ToStorage(c, orb.Point{*lon, *lat})
	*lon, *lat = p[0], p[1]
	return nil
}
