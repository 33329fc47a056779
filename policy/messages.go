package policy

import (
	"errors"
	"strings"

	"github.com/shaobao/shaobao/whistle"
)

// DefaultDeny names the refusal when no rule row gives the role the action.
const DefaultDeny = "default:deny"

// text is a Chinese and an English phrase.
type text struct{ zh, en string }

// ruleTexts say, for each shipped rule, what the rule demands: the refusal
// message quotes it. Rules an admin adds under other names fall back to
// their relation's text.
var ruleTexts = map[string]text{
	"case:file_own_unit":           {"只能在本单位立案（网格员在所在社区立案）", "a case may be filed only at one's own unit (a grid worker files at the grid's community)"},
	"case:jurisdiction":            {"只能查看辖区内的案件", "only cases inside one's jurisdiction may be seen"},
	"case:task_department":         {"部门只能查看本部门有任务的案件", "a department may see only cases where it has a task"},
	"case:summon_scope":            {"只有案件当前所在层级可以吹哨，且只能呼叫本级或上一级、本辖区内的部门（指挥中心还可呼叫辖区内下级单位的部门）", "only the level holding the case may summon, and only departments of its own level or the level directly above, inside its jurisdiction (a command centre also those of the levels below it)"},
	"case:holder_level":            {"只有案件当前所在层级可以办理此事", "only the level now holding the case may do this"},
	"case:filer_side":              {"只有立案一方（案件所在层级至立案单位之间的书记或指挥中心）可以核查和评价", "only the filer's side (a secretary or command centre between the holding level and the filing unit) may verify and evaluate"},
	"case:callback_filer_side":     {"只有立案一方（案件所在层级至立案单位之间的书记或指挥中心）可以回访居民", "only the filer's side (a secretary or command centre between the holding level and the filing unit) may record the call-back to the resident"},
	"case:dispatcher":              {"只有派单的单位可以收回案件", "only the unit that dispatched the case may recall it"},
	"case:escalation_answerer":     {"只有上报所待答复的单位可以答复（上一级；本级审核时为本级）", "only the unit the escalation waits on may answer it (the level above; the asking level while it reviews)"},
	"case:unresolvable_approver":   {"只有上一级可以审批挂账申请", "only the level above may answer an unresolvable application"},
	"task:own_department":          {"部门只能办理本部门的任务", "a department may act only on its own tasks"},
	"task:case_department":         {"只有在该案件上有任务的部门（主办部门）可以解除协办", "only a department with a task on the case (the lead) may release an assisting one"},
	"supervision:jurisdiction":     {"只能督查本辖区", "supervision covers only one's own jurisdiction"},
	"task:urger":                   {"只有案件当前所在层级或辖区内的督查人员可以催办", "only the level holding the case or a supervisor of its jurisdiction may urge"},
	"case:supervisor":              {"只能对辖区内的案件督办", "supervision orders may be issued only on cases inside one's jurisdiction"},
	"supervision:named_department": {"只有督办单点名的部门可以答复", "only a department the order names may answer it"},
	"map:jurisdiction":             {"只能查看本辖区的地图", "the map shows only one's own jurisdiction"},
	"task:stationed_unit":          {"部门只能查看本部门及其派出机构的任务", "a department may see only its own tasks and those of its stationed units"},
	"supervision:appealer":         {"部门只能为本部门或其派出机构申诉", "a department may appeal only for itself or a unit stationed under it"},
	"supervision:appeal_answerer":  {"只有案件所在辖区的督查人员可以答复申诉", "only a supervisor of the case's jurisdiction may answer an appeal"},
	"supervision:periodic_rater":   {"只能以本单位（街道或区）名义定期评议", "a periodic evaluation is made for one's own unit (a street or a district)"},
}

// relationTexts describe each relation, for rules without a ruleTexts entry.
var relationTexts = map[string]text{
	"anywhere":        {"无限制", "no restriction"},
	"holder":          {"须是案件当前所在单位", "one's unit must hold the case"},
	"file":            {"须在本单位立案", "the case must be filed at one's own unit"},
	"summon":          {"须是案件当前所在单位，且部门在本级或上一级", "one's unit must hold the case and the department sit at it or the unit directly above"},
	"command_summon":  {"须是案件当前所在单位，且部门在辖区内的下级单位", "one's unit must hold the case and the department sit at a unit below it"},
	"chain":           {"须在案件所在层级与立案单位之间", "one's unit must lie between the holding level and the filing unit"},
	"jurisdiction":    {"案件须在本辖区内", "the case must be inside one's jurisdiction"},
	"scope":           {"须在本辖区内", "it must be inside one's jurisdiction"},
	"own_department":  {"须是本部门的任务", "the task must be one's own department's"},
	"task_department": {"本部门须在该案件上有任务", "one's department must have a task on the case"},
	"stationed_unit":  {"须为本部门的派出机构", "the department must be stationed under one's own"},
}

var roleTexts = map[whistle.Role]text{
	whistle.RoleAdmin:              {"管理员", "an admin"},
	whistle.RoleCommander:          {"综合指挥中心", "a command centre"},
	whistle.RoleStreetSecretary:    {"街道书记", "a street secretary"},
	whistle.RoleCommunitySecretary: {"社区书记", "a community secretary"},
	whistle.RoleGridWorker:         {"网格员", "a grid worker"},
	whistle.RoleClerk:              {"部门人员", "a department clerk"},
	whistle.RoleSupervisor:         {"督查人员", "a supervisor"},
}

var actionTexts = map[Action]text{
	FileCase:           {"立案吹哨", "file a case"},
	ReadCase:           {"查看案件", "see a case"},
	Summon:             {"吹哨呼叫部门", "summon departments"},
	Whistle:            {"对已立案件追加吹哨或改派", "whistle more departments on a case or re-route it"},
	Escalate:           {"上报上级", "escalate a case"},
	Verify:             {"核查验证", "verify a result"},
	Evaluate:           {"评价部门", "evaluate departments"},
	AnswerExtension:    {"答复延期申请", "answer an extension request"},
	Accept:             {"受理案件", "accept a pending case"},
	Reject:             {"不予受理", "reject a pending case"},
	Merge:              {"并案", "merge a case"},
	ReadPersonal:       {"查看个人信息", "see personal data"},
	Dispatch:           {"派单至下级", "dispatch a case down"},
	Recall:             {"收回派单", "recall a dispatched case"},
	AnswerEscalation:   {"答复上报", "answer an escalation"},
	AnswerReturn:       {"答复退回申请", "answer a return"},
	Drop:               {"撤回部门", "drop a department"},
	SetLead:            {"指定主办部门", "set the lead department"},
	ApplyUnresolvable:  {"申请挂账", "apply to close a case as unresolvable"},
	AnswerUnresolvable: {"审批挂账", "answer an unresolvable application"},
	ReportTask:         {"报到", "report for duty"},
	Feedback:           {"反馈办理结果", "submit feedback"},
	ReturnTask:         {"退回任务", "return a task"},
	RequestExtension:   {"申请延期", "ask for an extension"},
	Release:            {"解除协办部门", "release an assisting department"},
	ReadInbox:          {"查看任务", "see tasks"},
	Supervise:          {"查看督查信息", "see supervision views"},
	Admin:              {"管理系统", "administer the system"},
	Urge:               {"催办", "urge a department"},
	SuperviseCase:      {"督办", "issue a supervision order"},
	AnswerOrder:        {"答复督办", "answer a supervision order"},
	ReadMap:            {"查看地图", "read the map"},
	Appeal:             {"申诉", "appeal a case's attribution"},
	AnswerAppeal:       {"答复申诉", "answer an appeal"},
	PeriodicEvaluate:   {"定期评议", "rate a department for a period"},
}

// ruleText is what the named rule (with relation rel) demands.
func ruleText(name, rel string) text {
	if t, ok := ruleTexts[name]; ok {
		return t
	}
	if t, ok := relationTexts[strings.TrimPrefix(rel, gridPrefix)]; ok {
		return t
	}
	return text{"不满足规则条件", "the rule's condition does not hold"}
}

// refusal is the prepared message of a denied (role, action) and the
// names of the rules that refused, for the log.
type refusal struct{ zh, en, rule string }

// err is the refusal as a fresh forbidden error (callers may keep or change
// it): a *whistle.Error in the chain, and RefusingRule names the rule.
func (r refusal) err() error {
	return &denial{we: whistle.Error{Code: whistle.EForbidden, Message: r.zh, MessageEN: r.en}, rule: r.rule}
}

// denial is a refusal's error: the coded error and the rule, in one
// allocation (Authorize is hot).
type denial struct {
	we   whistle.Error
	rule string
}

func (d *denial) Error() string { return d.we.Error() }
func (d *denial) Unwrap() error { return &d.we }

// RefusingRule returns the name of the rule (or rules, comma-separated)
// that refused in err's chain: DefaultDeny when no rule gives the role the
// action; "" when err is no refusal of Authorize.
func RefusingRule(err error) string {
	var d *denial
	if errors.As(err, &d) {
		return d.rule
	}
	return ""
}

// ruleRefusal is the refusal when the role has rules for the action but
// none of their relations holds; it names every such rule.
func ruleRefusal(rules []Rule) refusal {
	var zh, en []string
	var names []string
	seen := map[string]bool{}
	for _, r := range rules {
		if seen[r.Name] {
			continue
		}
		seen[r.Name] = true
		t := ruleText(r.Name, r.Relation)
		zh = append(zh, t.zh)
		en = append(en, t.en)
		names = append(names, r.Name)
	}
	return refusal{
		zh:   "无权操作：" + strings.Join(zh, "；") + "（规则 " + strings.Join(names, "、") + "）",
		en:   "forbidden: " + strings.Join(en, "; ") + " (rule " + strings.Join(names, ", ") + ")",
		rule: strings.Join(names, ","),
	}
}

// defaultRefusals are the default refusals of the known roles and actions,
// prepared once: most refused requests are of this kind.
var defaultRefusals = func() map[ruleKey]refusal {
	m := make(map[ruleKey]refusal, len(whistle.Roles)*len(Actions))
	for _, role := range whistle.Roles {
		for _, act := range Actions {
			m[ruleKey{role, act}] = buildDefaultRefusal(role, act)
		}
	}
	return m
}()

// defaultRefusal is the refusal when no rule gives the role the action.
func defaultRefusal(role whistle.Role, act Action) refusal {
	if r, ok := defaultRefusals[ruleKey{role, act}]; ok {
		return r
	}
	return buildDefaultRefusal(role, act)
}

func buildDefaultRefusal(role whistle.Role, act Action) refusal {
	rt, ok := roleTexts[role]
	if !ok {
		rt = text{"未知角色", "an unknown role"}
	}
	at, ok := actionTexts[act]
	if !ok {
		at = text{"执行未知操作", "perform an unknown action"}
	}
	return refusal{
		zh:   "无权操作：" + rt.zh + "无权" + at.zh + "（规则 " + DefaultDeny + "）",
		en:   "forbidden: " + rt.en + " may not " + at.en + " (rule " + DefaultDeny + ")",
		rule: DefaultDeny,
	}
}
