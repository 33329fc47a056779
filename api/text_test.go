package api_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/shaobao/shaobao/store"
)

// TestControlCharactersRefused: a NUL or another control character in any
// text a client sends (a body field at any depth, an Open311 form field,
// a query parameter, the path) is a 400 naming the field, before anything
// is written. A NUL used to pass every check and wedge the case's
// projection on PostgreSQL; a title of only NUL counted as not blank.
func TestControlCharactersRefused(t *testing.T) {
	srv, st := newServer(t)
	// file is a good filing with old replaced by new.
	file := func(old, new string) string {
		return strings.Replace(`{"title":"酒吧街噪音","description":"夜间噪音","source":"grid","class":"routine","department_ids":["s1-police"],"location":{"address":"和平里1号","lat":39.9,"lon":116.4}}`,
			old, new, 1)
	}
	form := func(kv ...string) string {
		v := url.Values{"service_code": {"noise"}, "lat": {"39.9"}, "long": {"116.4"}}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v.Encode()
	}
	const formType = "application/x-www-form-urlencoded"
	rows := []struct {
		name, user, method, path, contentType, body string
		field                                       string // the message names it
	}{
		{"TitleOnlyNUL", "c1-secretary", "POST", "/api/v1/cases", "", file("酒吧街噪音", `\u0000`), "title"},
		{"TitleWithNUL", "c1-secretary", "POST", "/api/v1/cases", "", file("酒吧街噪音", `井盖\u0000丢失`), "title"},
		{"DescriptionBell", "c1-secretary", "POST", "/api/v1/cases", "", file("夜间噪音", `\u0007`), "description"},
		{"CategoryDEL", "c1-secretary", "POST", "/api/v1/cases", "", file(`"source"`, `"category":"\u007f","source"`), "category"},
		{"AddressC1Control", "c1-secretary", "POST", "/api/v1/cases", "", file("和平里1号", `和平里\u0085`), "location.address"},
		{"DepartmentIDNUL", "c1-secretary", "POST", "/api/v1/cases", "", file(`"s1-police"`, `"s1-police\u0000"`), "department_ids[0]"},
		{"WhistleReroute", "c1-secretary", "POST", "/api/v1/cases/X/whistle", "", `{"department_ids":["s1-market"],"reroute_task_id":"\u0000"}`, "reroute_task_id"},
		{"EscalateReason", "c1-secretary", "POST", "/api/v1/cases/X/escalate", "", `{"reason":"\u0000"}`, "reason"},
		{"VerifyComment", "c1-secretary", "POST", "/api/v1/cases/X/verify", "", `{"passed":false,"comment":"\u0000"}`, "comment"},
		{"EvaluationComment", "c1-secretary", "POST", "/api/v1/cases/X/evaluations", "", `{"department_id":"s1-police","timeliness":5,"quality":5,"attitude":5,"satisfaction":"satisfied","comment":"x\u0000"}`, "comment"},
		{"ExtensionAnswerComment", "c1-secretary", "POST", "/api/v1/cases/X/extensions", "", `{"task_id":"X-T1","grant":true,"comment":"\u0000"}`, "comment"},
		{"FeedbackResult", "s1-police", "POST", "/api/v1/tasks/X/feedback", "", `{"result":"已处理\u0000"}`, "result"},
		{"FeedbackNotes", "s1-police", "POST", "/api/v1/tasks/X/feedback", "", `{"result":"ok","notes":"\u0000"}`, "notes"},
		{"ReturnReason", "s1-police", "POST", "/api/v1/tasks/X/return", "", `{"reason":"\u001b[31m"}`, "reason"},
		{"ExtensionReason", "s1-police", "POST", "/api/v1/tasks/X/extension", "", `{"extra":"1d","reason":"\u0000"}`, "reason"},
		{"AdminOrgUnitName", "admin", "PATCH", "/api/v1/admin/org-units/110101001001", "", `{"name":"\u0000"}`, "name"},
		{"AdminUserDisplayName", "admin", "POST", "/api/v1/admin/users", "", `{"username":"u1","display_name":"张\u0000","role":"admin"}`, "display_name"},
		{"AdminCalendarDayName", "admin", "PUT", "/api/v1/admin/calendar", "", `{"days":[{"date":"2027-01-01","kind":"holiday","name":"元旦\u0000"}]}`, "days[0].name"},
		{"AdminCatalogueKind", "admin", "POST", "/api/v1/admin/catalogue", "", `{"id":"x","name":"x","category":"x","default_class":"routine","department_kinds":["police\u0000"],"levels":["street"]}`, "department_kinds[0]"},
		{"Open311Description", "c1-secretary", "POST", "/open311/v2/requests.json", formType, form("description", "噪音\x00"), "description"},
		{"Open311Address", "c1-secretary", "POST", "/open311/v2/requests.json", formType, form("address_string", "\x01"), "address_string"},
		{"Open311AttributeTitle", "c1-secretary", "POST", "/open311/v2/requests.json", formType, form("attribute[title]", "\x00"), "attribute[title]"},
		{"Open311InvalidUTF8", "c1-secretary", "POST", "/open311/v2/requests.json", formType, form("description", "\xff\xfe"), "description"},
		{"QueryQ", "c1-secretary", "GET", "/api/v1/cases?q=%00", "", "", "q"},
		{"QueryInvalidUTF8", "c1-secretary", "GET", "/api/v1/cases?q=%FF", "", "", "q"},
		{"QueryOpen311", "c1-secretary", "GET", "/open311/v2/requests.json?service_code=%00", "", "", "service_code"},
		{"Path", "c1-secretary", "GET", "/api/v1/cases/SB%00", "", "", "地址"},
	}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			tok := token(t, st, row.user)
			if strings.HasPrefix(row.path, "/open311/") {
				status, out := call311(t, srv, tok, row.method, row.path, row.contentType, row.body)
				desc, _ := out[0]["description"].(string)
				if status != 400 || !strings.Contains(desc, row.field) {
					t.Fatalf("got %d %q, want 400 naming %s", status, desc, row.field)
				}
				return
			}
			r := call(t, srv, tok, row.method, row.path, row.body)
			// The field by its JSON name in English (its Chinese label in
			// Chinese: TestValidationSpeaksChinese).
			en := call(t, srv, tok, row.method, row.path, row.body, "Accept-Language", "en")
			if r.status != 400 || errCode(r) != "invalid" || !strings.Contains(errMessage(r)+errMessage(en), row.field) {
				t.Fatalf("got %d %s %q (%q), want 400 invalid naming %s", r.status, errCode(r), errMessage(r), errMessage(en), row.field)
			}
		})
	}
	var n int64
	st.DB.Model(&store.CaseRow{}).Count(&n)
	if n != 0 {
		t.Errorf("%d cases written by refused requests", n)
	}
	// Line breaks and tabs are text.
	r := call(t, srv, token(t, st, "c1-secretary"), "GET", "/api/v1/cases?q=%E5%99%AA%0A%09", "")
	if r.status != 200 {
		t.Errorf("a search with a line break and a tab = %d %q", r.status, errMessage(r))
	}
}
