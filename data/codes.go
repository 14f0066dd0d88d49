package data

import (
	"fmt"
	"strings"
)

// isDigits reports whether s is non-empty and all ASCII digits.
func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// CheckAdminCode checks an administrative unit's code: the length of its
// level, all digits, and prefixed by its parent's code (a district's parent,
// the prefecture, is its first four digits).
func CheckAdminCode(level AdminLevel, code, parent string) error {
	n, ok := CodeLength[level]
	if !ok {
		return fmt.Errorf("unknown level %q", level)
	}
	if len(code) != n || !isDigits(code) {
		return fmt.Errorf("%s code %q must be %d digits", level, code, n)
	}
	if parent != "" && !strings.HasPrefix(code, parent) {
		return fmt.Errorf("%s code %q does not start with its parent's code %q", level, code, parent)
	}
	return nil
}

// NormalizeUnitGridCode checks a unit grid code against its community and
// returns it in the 15-digit GB/T 30428.1 form. A 14-digit CJ/T 213-2005 code
// (12-digit community + 2-digit sequence) is widened by padding its sequence
// to three digits. Sequence 000 (00 in the old form) is reserved for the
// community itself and refused.
func NormalizeUnitGridCode(code, community string) (string, error) {
	if !isDigits(code) || (len(code) != 15 && len(code) != 14) {
		return "", fmt.Errorf("unit grid code %q must be 15 digits (or 14 under CJ/T 213-2005)", code)
	}
	if len(code) == 14 {
		code = code[:12] + "0" + code[12:]
	}
	if community != "" && code[:12] != community {
		return "", fmt.Errorf("unit grid code %q does not start with its community's code %q", code, community)
	}
	if code[12:] == "000" {
		return "", fmt.Errorf("unit grid code %q has sequence 000, which no grid may have", code)
	}
	return code, nil
}

// SchemeCategoryLength is the length of a category code (big + small class)
// under each scheme.
var SchemeCategoryLength = map[string]int{
	SchemeGBT30428: 4,
	SchemeGBT47678: 5,
}

// CheckCategoryCode checks a category code against its scheme.
func CheckCategoryCode(scheme, code string) error {
	n, ok := SchemeCategoryLength[scheme]
	if !ok {
		return fmt.Errorf("unknown category scheme %q", scheme)
	}
	if len(code) != n || !isDigits(code) {
		return fmt.Errorf("category code %q must be %d digits under %s", code, n, scheme)
	}
	return nil
}

// ComponentCode builds a component code from the county code, the category
// code and a sequence number: 6 + 4 + 6 = 16 digits under GB/T 30428.2,
// 6 + 5 + 6 = 17 under GB/T 47678.5.
func ComponentCode(county, category string, seq int) string {
	return fmt.Sprintf("%s%s%06d", county, category, seq)
}

// CheckComponentCode checks a component code: all digits, 6-digit county
// code, then the category code, then a 6-digit sequence other than 000000.
// county may be empty when the county is not known to the caller.
func CheckComponentCode(code, county, category string) error {
	want := 6 + len(category) + 6
	if !isDigits(code) || len(code) != want {
		return fmt.Errorf("component code %q must be %d digits (6 county + %d category + 6 sequence)", code, want, len(category))
	}
	if county != "" && code[:6] != county {
		return fmt.Errorf("component code %q does not start with county code %q", code, county)
	}
	if code[6:6+len(category)] != category {
		return fmt.Errorf("component code %q does not carry its category %q in digits 7–%d", code, category, 6+len(category))
	}
	if code[6+len(category):] == "000000" {
		return fmt.Errorf("component code %q has sequence 000000", code)
	}
	return nil
}
