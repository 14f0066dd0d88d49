package data

import (
	"fmt"
	"strings"
	"testing"
)

// The classes of GB/T 30428.2 as standards.md §2.3–2.5 lists them, written
// out here independently of the catalogue files. Where the two source
// dictionaries differ (§2.4, rows marked *), the national-style name (S6)
// is the one the catalogue uses. Components past 0127, 0213 and 0307 and
// the 06 big class are the S6 order.
var referenceComponentBig = map[string]string{"01": "公用设施", "02": "道路交通", "03": "市容环境", "04": "园林绿化", "05": "房屋土地", "06": "其他设施"}

var referenceComponents = strings.Fields(`
0101 上水井盖 0102 污水井盖 0103 雨水井盖 0104 雨水箅子 0105 电力井盖 0106 路灯井盖 0107 通讯井盖 0108 电视井盖
0109 网络井盖 0110 热力井盖 0111 燃气井盖 0112 公安井盖 0113 消防设施 0114 无主井盖 0115 通讯交接箱 0116 电力设施
0117 立杆 0118 路灯 0119 地灯 0120 景观灯 0121 报刊亭 0122 电话亭 0123 邮筒 0124 信息亭 0125 自动售货机 0126 健身设施
0127 中水井盖 0128 公交井盖 0129 输油(气)井盖 0130 特殊井盖 0131 民用水井 0132 供水器 0133 高压线铁塔 0134 变压器(箱)
0135 燃气调压站(箱) 0136 监控电子眼 0137 售货亭 0138 治安岗亭
0201 停车场 0202 停车咪表 0203 公交站亭 0204 出租车站牌 0205 过街天桥 0206 地下通道 0207 高架立交桥 0208 跨河桥
0209 交通标志牌 0210 交通信号灯 0211 交通护栏 0212 存车支架 0213 路名牌 0214 交通信号设施 0215 道路信息显示屏
0216 道路隔音屏 0217 交通岗亭
0301 公共厕所 0302 化粪池 0303 公厕指示牌 0304 垃圾间(楼) 0305 垃圾箱 0306 灯箱霓虹灯 0307 广告牌匾 0308 环保监测站
0309 气象监测站 0310 污水口监测站 0311 噪声显示屏
0401 古树名木 0402 行道树 0403 护树设施 0404 花架花钵 0405 绿地 0406 雕塑 0407 街头坐椅 0408 绿地护栏 0409 绿地维护设施 0410 喷泉
0501 宣传栏 0502 人防工事 0503 公房地下室
0601 重大危险源 0602 工地 0603 水域附属设施 0604 水域护栏 0605 港监设施 0606 防汛墙`)

// Event big classes by name; 突发事件's code is not known for either
// scheme (§2.5 "?"), so it is checked by name and by its small classes.
var referenceEventBig2013 = map[string]string{"01": "市容环境", "02": "宣传广告", "03": "施工管理", "04": "街面秩序"}
var referenceEventBig2026 = map[string]string{"06": "市容环境", "07": "宣传广告", "08": "施工管理", "09": "街面秩序"}

// The event small classes with codes seen in data (§2.5), 2013 and 2026.
var referenceEvents2013 = strings.Fields(`0101 私搭乱建 0107 沿街晾挂 0110 暴露垃圾 0111 积存垃圾渣土 0112 道路不洁 0136 乱堆物堆料
0201 非法小广告 0203 违规户外广告 0311 渣土车未密闭运输 0401 无照经营游商 0405 店外经营 0406 占道经营 0409 机动车乱停放
0410 非机动车乱停放 0198 垃圾满溢`)

var referenceEvents2026 = strings.Fields(`06010 暴露垃圾 06011 积存垃圾渣土 06012 道路不洁 06017 绿地脏乱 06036 乱堆物堆料
06042 垃圾站(箱)满溢 06045 非法占绿毁绿 07003 违规户外广告 09005 店外经营 09006 占道经营`)

// 突发事件's small classes in the CJ/T 214-2007 order (0401–0404 there).
var referenceEmergencies = []string{"路面塌陷", "自来水管破裂", "燃气管道破裂", "下水道堵塞"}

func TestCatalogueHoldsEveryReferenceClass(t *testing.T) {
	for _, sc := range []struct {
		scheme    string
		widen     func(string) string // a 2013 component code in this scheme
		eventBig  map[string]string
		events    []string
		smallSize int
	}{
		{SchemeGBT30428, func(c string) string { return c }, referenceEventBig2013, referenceEvents2013, 2},
		{SchemeGBT47678, func(c string) string { return c[:2] + "0" + c[2:] }, referenceEventBig2026, referenceEvents2026, 3},
	} {
		t.Run(sc.scheme, func(t *testing.T) {
			cats, err := DefaultCatalogue(sc.scheme)
			if err != nil {
				t.Fatal(err)
			}
			bigs, err := DefaultBigClasses(sc.scheme)
			if err != nil {
				t.Fatal(err)
			}
			byCode := map[string]Category{}
			for _, c := range cats {
				k := string(c.Kind) + " " + c.Code
				if _, dup := byCode[k]; dup {
					t.Errorf("%s is defined twice", k)
				}
				byCode[k] = c
			}
			bigByCode := map[string]BigClass{}
			bigByName := map[string]BigClass{}
			for _, b := range bigs {
				k := string(b.Kind) + " " + b.Code
				if _, dup := bigByCode[k]; dup {
					t.Errorf("big class %s is defined twice", k)
				}
				bigByCode[k] = b
				bigByName[string(b.Kind)+" "+b.Name] = b
			}
			want := func(kind CategoryKind, code, name, bigName string) {
				t.Helper()
				c, ok := byCode[string(kind)+" "+code]
				switch {
				case !ok:
					t.Errorf("%s %s %s is missing", kind, code, name)
				case c.Name != name:
					t.Errorf("%s %s is %s, want %s", kind, code, c.Name, name)
				case bigName != "" && c.BigName != bigName:
					t.Errorf("%s %s %s is under %s, want %s", kind, code, name, c.BigName, bigName)
				}
			}
			for code, name := range referenceComponentBig {
				if b := bigByCode["component "+code]; b.Name != name || b.Local {
					t.Errorf("component big class %s: got %+v, want %s", code, b, name)
				}
			}
			for i := 0; i < len(referenceComponents); i += 2 {
				code := referenceComponents[i]
				want(KindComponent, sc.widen(code), referenceComponents[i+1], referenceComponentBig[code[:2]])
			}
			for code, name := range sc.eventBig {
				if b := bigByCode["event "+code]; b.Name != name {
					t.Errorf("event big class %s: got %+v, want %s", code, b, name)
				}
			}
			for i := 0; i < len(sc.events); i += 2 {
				code := sc.events[i]
				want(KindEvent, code, sc.events[i+1], sc.eventBig[code[:2]])
			}
			em, ok := bigByName["event 突发事件"]
			if !ok || em.Local {
				t.Fatalf("no standard event big class 突发事件: %+v", bigs)
			}
			for i, name := range referenceEmergencies {
				code := em.Code + fmt.Sprintf("%0*d", sc.smallSize, i+1)
				want(KindEvent, code, name, "突发事件")
				if c := byCode["event "+code]; c.DeadlineClass != "urgent" {
					t.Errorf("%s %s: deadline class %q, want urgent", code, name, c.DeadlineClass)
				}
			}
			for _, name := range []string{"component 扩展部件", "event 扩展事件"} {
				if b, ok := bigByName[name]; !ok || !b.Local {
					t.Errorf("no local big class %s: %+v", name, b)
				}
			}
		})
	}
}

// Every manhole cover (井盖) is urgent: a missing one is a danger to
// life, so its limit counts continuously.
func TestUrgentCategoriesIncludeEveryManholeCover(t *testing.T) {
	cats, err := DefaultCatalogue(SchemeGBT30428)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cats {
		if c.Kind == KindComponent && strings.HasSuffix(c.Name, "井盖") && c.DeadlineClass != "urgent" {
			t.Errorf("%s %s is %s, want urgent", c.Code, c.Name, c.DeadlineClass)
		}
	}
}
