package cases

import (
	"fmt"
	"time"

	"github.com/6tail/lunar-go/calendar"
)

// Festival names a statutory holiday of the 全国年节及纪念日放假办法 (the
// national regulation on public holidays), in the words the State
// Council's yearly notices use.
type Festival string

// The festivals that give every citizen days off.
const (
	NewYear        Festival = "元旦"
	SpringFestival Festival = "春节"
	Qingming       Festival = "清明节"
	LabourDay      Festival = "劳动节"
	DragonBoat     Festival = "端午节"
	MidAutumn      Festival = "中秋节"
	NationalDay    Festival = "国庆节"
)

// Festivals lists the festivals in calendar order.
var Festivals = []Festival{NewYear, SpringFestival, Qingming, LabourDay, DragonBoat, MidAutumn, NationalDay}

// Date is a civil date without a time zone, written YYYY-MM-DD.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf is the civil date of t in loc.
func DateOf(t time.Time, loc *time.Location) Date {
	y, m, d := t.In(loc).Date()
	return Date{y, m, d}
}

// ParseDate reads YYYY-MM-DD.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return Date{}, fmt.Errorf("date %q: want YYYY-MM-DD", s)
	}
	return Date{t.Year(), t.Month(), t.Day()}, nil
}

// String is YYYY-MM-DD.
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day) }

// MarshalText writes YYYY-MM-DD.
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads YYYY-MM-DD.
func (d *Date) UnmarshalText(b []byte) error {
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// AddDays is the date n days later (earlier for negative n).
func (d Date) AddDays(n int) Date {
	t := time.Date(d.Year, d.Month, d.Day+n, 12, 0, 0, 0, time.UTC)
	return Date{t.Year(), t.Month(), t.Day()}
}

// Weekday is the day of the week of d.
func (d Date) Weekday() time.Weekday {
	return time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC).Weekday()
}

// Before reports whether d comes before e.
func (d Date) Before(e Date) bool { return d.key() < e.key() }

func (d Date) key() int { return d.Year*10000 + int(d.Month)*100 + d.Day }

// StatutoryDay is one day off that the regulation itself grants.
type StatutoryDay struct {
	Date     Date
	Festival Festival
}

// Years for which the statutory days can be computed. The regulation's
// rules below start with its 2007 revision (in force from 2008); the lunar
// and solar-term tables serve far beyond 2100, but a deadline that far out
// is a configuration error.
const (
	FirstStatutoryYear = 2008
	LastStatutoryYear  = 2100
)

// StatutoryDays returns the days off that the 全国年节及纪念日放假办法
// grants in year, in date order. The revision in force that year decides
// the day counts:
//
//   - from 2025 (revised 2024-11): 元旦 1 day, 春节 4 days (农历除夕 to 正月初三),
//     清明 1, 劳动节 2 (5-1, 5-2), 端午 1, 中秋 1, 国庆 3 (10-1 to 10-3): 13 days;
//   - 2014–2024 (revised 2013-12): 春节 3 days (正月初一 to 初三), 劳动节 1: 11 days;
//   - 2008–2013 (revised 2007-12): 春节 3 days (除夕 to 正月初二), 劳动节 1: 11 days.
//
// 春节, 端午 (五月初五) and 中秋 (八月十五) follow the Chinese lunar calendar,
// 清明 the solar term. When two festivals fall on one day (中秋 on 10-1 to
// 10-3, as in 2028 and 2031) the day is listed once, under 中秋; the
// yearly notice makes up for the lost day, the rule alone cannot.
func StatutoryDays(year int) ([]StatutoryDay, error) {
	if year < FirstStatutoryYear || year > LastStatutoryYear {
		return nil, fmt.Errorf("statutory holidays of %d: only %d to %d are computed", year, FirstStatutoryYear, LastStatutoryYear)
	}
	var out []StatutoryDay
	seen := map[Date]bool{}
	add := func(f Festival, first Date, n int) {
		for i := range n {
			d := first.AddDays(i)
			if !seen[d] {
				seen[d] = true
				out = append(out, StatutoryDay{d, f})
			}
		}
	}
	newYear := LunarNewYear(year)
	add(NewYear, Date{year, time.January, 1}, 1)
	switch {
	case year >= 2025:
		add(SpringFestival, newYear.AddDays(-1), 4)
	case year >= 2014:
		add(SpringFestival, newYear, 3)
	default:
		add(SpringFestival, newYear.AddDays(-1), 3)
	}
	add(Qingming, QingmingDay(year), 1)
	if year >= 2025 {
		add(LabourDay, Date{year, time.May, 1}, 2)
	} else {
		add(LabourDay, Date{year, time.May, 1}, 1)
	}
	add(DragonBoat, lunarDate(year, 5, 5), 1)
	add(MidAutumn, lunarDate(year, 8, 15), 1)
	add(NationalDay, Date{year, time.October, 1}, 3)
	// The festivals are in calendar order except when 中秋 follows 国庆's
	// start; a plain insertion sort keeps the list in date order.
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].Date.Before(out[j-1].Date); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out, nil
}

// LunarNewYear is 正月初一 of the lunar year that begins in year.
func LunarNewYear(year int) Date { return lunarDate(year, 1, 1) }

// QingmingDay is the day of the solar term 清明 in year (China Standard
// Time).
func QingmingDay(year int) Date {
	// The lunar year of 1 June is year itself; its solar-term table runs
	// from the previous 冬至 and so holds this year's 清明.
	s := calendar.NewSolarFromYmd(year, 6, 1).GetLunar().GetJieQiTable()["清明"]
	return Date{s.GetYear(), time.Month(s.GetMonth()), s.GetDay()}
}

// lunarDate is the Gregorian date of a day of the lunar year that begins
// in year (never a leap month: the festivals are in ordinary months).
func lunarDate(year, month, day int) Date {
	s := calendar.NewLunarFromYmd(year, month, day).GetSolar()
	return Date{s.GetYear(), time.Month(s.GetMonth()), s.GetDay()}
}
