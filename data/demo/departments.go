package demo

import (
	"math/rand/v2"

	"citygrid/data"
)

// Department codes the demo relies on by name. The category catalogues
// (data/catalogue/*.json) name competent departments by these codes too.
const (
	deptGovernment = "QZF"  // 区人民政府
	deptCentre     = "CGZX" // 城市管理监督指挥中心
	deptCityMgmt   = "CGJ"  // 区城市管理局
	deptMunicipal  = "SZ"   // 市政
	deptGardens    = "YL"   // 园林
	deptSanitation = "HW"   // 环卫
	deptTraffic    = "JJ"   // 公安交警
	deptTransport  = "JT"   // 交通运输局
	deptWater      = "ZLS"  // 自来水
	deptDrainage   = "PS"   // 排水
	deptPower      = "GD"   // 供电
	deptStreetLamp = "LD"   // 路灯 (城市照明)
	deptBus        = "GJ"   // 公交
	deptMaintSZ    = "YHSZ" // 市政养护公司
	deptMaintYL    = "YHYL" // 园林养护公司
	deptMaintHW    = "YHHW" // 环卫作业公司
	deptCollect    = "CJGS" // 信息采集公司 (supervisors)
)

// deptSpec describes one demo department before its credit code is drawn.
type deptSpec struct {
	code, name, parent string
	kind               data.DepartmentKind
	// reg is the registration prefix of the 统一社会信用代码: 11 机关,
	// 12 事业单位, 91 企业.
	reg    string
	region string // 登记管理机关行政区划码
}

var fixedDepartments = []deptSpec{
	{deptGovernment, "南京市雨花台区人民政府", "", data.DeptBureau, "11", "320114"},
	{deptCityMgmt, "南京市雨花台区城市管理局", deptGovernment, data.DeptBureau, "11", "320114"},
	{deptCentre, "雨花台区城市管理监督指挥中心", deptCityMgmt, data.DeptCentre, "12", "320114"},
	{deptMunicipal, "雨花台区市政设施管理所", deptCityMgmt, data.DeptBureau, "12", "320114"},
	{deptGardens, "雨花台区园林绿化管理所", deptCityMgmt, data.DeptBureau, "12", "320114"},
	{deptSanitation, "雨花台区环境卫生管理所", deptCityMgmt, data.DeptBureau, "12", "320114"},
	{deptTransport, "南京市雨花台区交通运输局", deptGovernment, data.DeptBureau, "11", "320114"},
	{deptTraffic, "南京市公安局交通管理局雨花台分局", "GA", data.DeptBureau, "11", "320100"},
	{"GA", "南京市公安局雨花台分局", "", data.DeptBureau, "11", "320100"},
	{"XF", "南京市雨花台区消防救援大队", "", data.DeptBureau, "11", "320114"},
	{"ZJ", "南京市雨花台区住房和城乡建设局", deptGovernment, data.DeptBureau, "11", "320114"},
	{"FG", "雨花台区房产管理中心", "ZJ", data.DeptBureau, "12", "320114"},
	{"SW", "南京市雨花台区水务局", deptGovernment, data.DeptBureau, "11", "320114"},
	{"SCJ", "南京市雨花台区市场监督管理局", deptGovernment, data.DeptBureau, "11", "320114"},
	{"WLT", "南京市雨花台区文化和旅游局（体育局）", deptGovernment, data.DeptBureau, "11", "320114"},
	{"MZ", "南京市雨花台区民政局", deptGovernment, data.DeptBureau, "11", "320114"},
	{"HB", "南京市雨花台生态环境局", "", data.DeptBureau, "11", "320114"},
	{"RF", "南京市雨花台区人民防空办公室", deptGovernment, data.DeptBureau, "11", "320114"},
	{"YJ", "南京市雨花台区应急管理局", deptGovernment, data.DeptBureau, "11", "320114"},
	{"XCB", "中共南京市雨花台区委宣传部", "", data.DeptBureau, "11", "320114"},
	{deptPower, "国网江苏省电力有限公司南京供电分公司", "", data.DeptUtility, "91", "320100"},
	{deptStreetLamp, "南京市城市照明建设运营集团有限公司", "", data.DeptUtility, "91", "320100"},
	{deptWater, "南京水务集团有限公司", "", data.DeptUtility, "91", "320100"},
	{deptDrainage, "南京市城市排水有限公司", "", data.DeptUtility, "91", "320100"},
	{"RQ", "南京港华燃气有限公司", "", data.DeptUtility, "91", "320100"},
	{"RL", "南京市热力有限公司", "", data.DeptUtility, "91", "320100"},
	{"DX", "中国电信股份有限公司南京分公司", "", data.DeptUtility, "91", "320100"},
	{"YD", "中国移动通信集团江苏有限公司南京分公司", "", data.DeptUtility, "91", "320100"},
	{"LT", "中国联合网络通信有限公司南京市分公司", "", data.DeptUtility, "91", "320100"},
	{"GDW", "江苏省广电有线信息网络股份有限公司南京分公司", "", data.DeptUtility, "91", "320100"},
	{"YZ", "中国邮政集团有限公司南京市分公司", "", data.DeptUtility, "91", "320100"},
	{deptBus, "南京公共交通（集团）有限公司", "", data.DeptUtility, "91", "320100"},
	{deptMaintSZ, "南京雨花市政养护工程有限公司", "", data.DeptCompany, "91", "320114"},
	{deptMaintYL, "南京雨花园林绿化工程有限公司", "", data.DeptCompany, "91", "320114"},
	{deptMaintHW, "南京雨花环境卫生服务有限公司", "", data.DeptCompany, "91", "320114"},
	{deptCollect, "南京雨花城市管理信息采集服务有限公司", "", data.DeptCompany, "91", "320114"},
}

// propertyCompanies manage residential compounds; they own and keep some
// fixtures inside them and answer for some responsibility grids.
var propertyCompanies = []deptSpec{
	{"WY01", "南京万科物业服务有限公司雨花分公司", "", data.DeptCompany, "91", "320114"},
	{"WY02", "南京金陵物业管理有限公司", "", data.DeptCompany, "91", "320100"},
	{"WY03", "南京栖霞建设物业服务股份有限公司雨花分公司", "", data.DeptCompany, "91", "320114"},
	{"WY04", "南京朗诗物业管理有限公司", "", data.DeptCompany, "91", "320100"},
}

// streetOfficeCode is the department code of a street's office
// (街道办事处): "JD" and the street code's last three digits.
func streetOfficeCode(streetCode string) string {
	return "JD" + streetCode[6:]
}

// buildDepartments lists every demo department: district bodies, the nine
// street offices, utilities and companies, each with a credit code drawn
// from rng with correct check characters.
func buildDepartments(rng *rand.Rand, dv *divisions) []data.Department {
	specs := append([]deptSpec(nil), fixedDepartments...)
	for _, s := range dv.streets {
		name := s.name + "办事处"
		if s.code[6] == '4' { // 开发区, 软件谷: an administrative committee
			name = s.name + "管理委员会"
		}
		specs = append(specs, deptSpec{streetOfficeCode(s.code), name, deptGovernment, data.DeptStreet, "11", "320114"})
	}
	specs = append(specs, propertyCompanies...)
	out := make([]data.Department, len(specs))
	for k, s := range specs {
		out[k] = data.Department{
			Code:       s.code,
			Name:       s.name,
			CreditCode: creditCode(rng, s.reg, s.region),
			Parent:     s.parent,
			Kind:       s.kind,
		}
	}
	return out
}

// creditCode draws a 统一社会信用代码 (GB 32100-2015): 2-character
// registration prefix, 6-digit region, 9-character organisation code
// (GB 11714, with its own check character) and a final check character.
func creditCode(rng *rand.Rand, reg, region string) string {
	const orgChars = "0123456789ABCDEFGHJKLMNPQRTUWXY"
	org := make([]byte, 8)
	for k := range org {
		if k == 0 || rng.IntN(4) > 0 {
			org[k] = '0' + byte(rng.IntN(10))
		} else {
			org[k] = orgChars[10+rng.IntN(len(orgChars)-10)]
		}
	}
	code := reg + region + string(org) + string(orgCheck(string(org)))
	return code + string(creditCheck(code))
}

// charValue is the value of a code character: digits 0–9, letters A=10 …
// Z=35 (GB 11714 counts every letter).
func charValue(c byte) int {
	if c >= '0' && c <= '9' {
		return int(c - '0')
	}
	return int(c-'A') + 10
}

// orgCheck is the GB 11714 check character of an 8-character
// organisation code.
func orgCheck(org string) byte {
	w := [8]int{3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for k := 0; k < 8; k++ {
		sum += charValue(org[k]) * w[k]
	}
	switch c := 11 - sum%11; c {
	case 10:
		return 'X'
	case 11:
		return '0'
	default:
		return byte('0' + c)
	}
}

// creditAlphabet is GB 32100's 31-character alphabet (no I, O, S, V, Z);
// a character's value is its index.
const creditAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// creditCheck is the GB 32100 check character of the first 17 characters
// of a credit code.
func creditCheck(code17 string) byte {
	w := [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}
	sum := 0
	for k := 0; k < 17; k++ {
		v := 0
		for x := 0; x < len(creditAlphabet); x++ {
			if creditAlphabet[x] == code17[k] {
				v = x
				break
			}
		}
		sum += v * w[k]
	}
	return creditAlphabet[(31-sum%31)%31]
}
