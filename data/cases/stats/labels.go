package stats

// columnLabels are the Chinese column headings of the XLSX reports, in the
// words of CJ/T 292 and the centres' monthly reports. CSV keeps the keys,
// which scripts read.
var columnLabels = map[string]string{
	"key": "编码", "name": "名称", "reported": "上报数", "registered": "立案数", "not_registered": "不予立案数",
	"dispatched": "派遣数", "due_for_closure": "应结案数", "closed": "结案数", "closed_on_time": "按期结案数",
	"handled": "处置数", "handled_on_time": "按期处置数", "due_for_handling": "应处置数", "reworked": "返工数",
	"returned": "回退次数", "returned_cases": "回退案卷数",
	"stuck": "首派准确数", "auto": "自动派遣数", "followed": "按规则派遣数", "accuracy_rate": "首派准确率", "overdue": "超期数",
	"closure_rate": "结案率", "on_time_closure_rate": "按期结案率", "handling_rate": "处置率",
	"on_time_handling_rate": "按期处置率", "rework_rate": "返工率", "avg_handling_hours": "平均处置时长（小时）",
	"score": "综合得分", "grade": "等级", "rank": "排名", "registered_change": "立案数环比变化",
	"closure_rate_change": "结案率环比变化",
	"urged":               "督办数", "followed_up": "回访数", "satisfied": "满意数", "satisfaction_rate": "回访满意率",
	"appeals_accepted": "申诉采纳数", "class": "类别", "class_rank": "类内排名",

	"post": "岗位", "user": "人员", "reports": "上报数", "valid_reports": "有效上报数", "missed": "漏报数",
	"verified": "核实数", "verified_on_time": "按时核实数", "checked": "核查数", "checked_on_time": "按时核查数",
	"accepted": "受理数", "verify_sent": "发核实数", "verify_sent_on_time": "按时发核实数", "check_sent": "发核查数",
	"check_sent_on_time": "按时发核查数", "registered_on_time": "按时立案数", "registered_cancelled": "立案后作废数",
	"dispatched_on_time": "按时派遣数", "dispatched_returned": "派遣后回退数",
	"valid_report_rate": "有效上报率", "missed_report_rate": "漏报率", "on_time_verify_rate": "按时核实率",
	"on_time_check_rate": "按时核查率", "verify_sent_on_time_rate": "按时发核实率",
	"check_sent_on_time_rate": "按时发核查率", "on_time_register_rate": "按时立案率",
	"accurate_register_rate": "准确立案率", "on_time_close_rate": "按时结案率", "on_time_dispatch_rate": "按时派遣率",
	"accurate_dispatch_rate": "准确派遣率", "previous_score": "上期得分", "score_change": "得分变化",
}

// ColumnLabel is the Chinese heading of an export column; an unknown
// column keeps its key.
func ColumnLabel(col string) string {
	if l, ok := columnLabels[col]; ok {
		return l
	}
	return col
}

// tableTitles name the tables of the statistics groups and post scores.
var tableTitles = map[string]string{
	"unit": "处置单位评价", "department": "专业部门评价", "street": "街道评价", "community": "社区评价",
	"grid": "单元网格评价", "category": "问题类别统计", "source": "案件来源统计", "reporter": "上报人统计",
	"dispatcher": "派遣员统计", "post": "岗位评价",
}
