package geocode

import "testing"

func TestAdminNameForms(t *testing.T) {
	has := func(forms []nameForm, s string) bool {
		for _, f := range forms {
			if f.name == s {
				return true
			}
		}
		return false
	}
	for _, c := range []struct {
		name, unit string
		level      string
		want, not  []string
	}{
		{"a 社区居委会 is also written 社区, 居委会 and bare", "丁墙社区居委会", "community", []string{"丁墙社区", "丁墙居委会", "丁墙"}, nil},
		{"a village committee is written as the village, never bare", "丁墙村村委会", "community", []string{"丁墙村"}, []string{"丁墙"}},
		{"a 街道 is also written bare", "雨花街道", "street", []string{"雨花"}, nil},
		{"the 中国（南京） prefix may be left out", "中国（南京）软件谷", "street", []string{"中国南京软件谷", "软件谷"}, nil},
		{"a district is also written without 区", "雨花台区", "district", []string{"雨花台"}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			forms := adminNameForms(levelOf(c.level), c.unit)
			for _, w := range c.want {
				if !has(forms, w) {
					t.Errorf("forms of %s lack %q: %v", c.unit, w, forms)
				}
			}
			for _, w := range c.not {
				if has(forms, w) {
					t.Errorf("forms of %s include %q: %v", c.unit, w, forms)
				}
			}
		})
	}
}
