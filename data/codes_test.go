package data

import "testing"

func TestCheckAdminCode(t *testing.T) {
	tests := []struct {
		name         string
		level        AdminLevel
		code, parent string
		wantOK       bool
	}{
		{"a district code under its prefecture is valid", LevelDistrict, "320114", "3201", true},
		{"a street code under its district is valid", LevelStreet, "320114001", "320114", true},
		{"a community code under its street is valid", LevelCommunity, "320114001001", "320114001", true},
		{"a street code under another district is refused", LevelStreet, "320115001", "320114", false},
		{"a short community code is refused", LevelCommunity, "32011400100", "320114001", false},
		{"letters are refused", LevelDistrict, "32011A", "", false},
		{"an unknown level is refused", AdminLevel("province"), "32", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckAdminCode(tt.level, tt.code, tt.parent)
			if (err == nil) != tt.wantOK {
				t.Fatalf("CheckAdminCode(%s, %q, %q) = %v, want ok=%v", tt.level, tt.code, tt.parent, err, tt.wantOK)
			}
		})
	}
}

func TestNormalizeUnitGridCode(t *testing.T) {
	tests := []struct {
		name, code, community, want string
		wantErr                     bool
	}{
		{"a 15-digit code stays as it is", "320114001001007", "320114001001", "320114001001007", false},
		{"a 14-digit CJ/T 213 code is widened", "32011400100107", "320114001001", "320114001001007", false},
		{"a code in another community is refused", "320114001002007", "320114001001", "", true},
		{"sequence 000 is refused", "320114001001000", "", "", true},
		{"a 13-digit code is refused", "3201140010010", "", "", true},
		{"a code with a space is refused", "320114001001 07", "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NormalizeUnitGridCode(tt.code, tt.community)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("NormalizeUnitGridCode(%q, %q) = %q, %v; want %q, err=%v", tt.code, tt.community, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestComponentCode(t *testing.T) {
	// The real Suzhou sample: 320508 + 01 公用设施 + 01 上水井盖 + 000001.
	if got := ComponentCode("320508", "0101", 1); got != "3205080101000001" {
		t.Fatalf("ComponentCode = %q, want 3205080101000001", got)
	}
	if got := ComponentCode("320114", "01001", 42); got != "32011401001000042" || len(got) != 17 {
		t.Fatalf("GB/T 47678.5 code = %q, want 17 digits 32011401001000042", got)
	}
	tests := []struct {
		name, code, county, category string
		wantOK                       bool
	}{
		{"the Suzhou sample is valid", "3205820102048188", "320582", "0102", true},
		{"a 17-digit 2026 code is valid", "32011401001000042", "320114", "01001", true},
		{"a code from another county is refused", "3205820102048188", "320114", "0102", false},
		{"a code of another category is refused", "3205820102048188", "320582", "0101", false},
		{"sequence zero is refused", "3205820102000000", "", "0102", false},
		{"a 16-digit code under the 2026 scheme is refused", "3205820102048188", "", "01002", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckComponentCode(tt.code, tt.county, tt.category)
			if (err == nil) != tt.wantOK {
				t.Fatalf("CheckComponentCode(%q, %q, %q) = %v, want ok=%v", tt.code, tt.county, tt.category, err, tt.wantOK)
			}
		})
	}
}
