// Package channels sends a notification out of Shaobao to where people
// are: a WeCom (企业微信), DingTalk (钉钉) or Feishu/Lark (飞书) group
// robot, email over SMTP with STARTTLS, and SMS through a province's HTTP
// gateway. Each sender speaks its protocol as documented and returns an
// error for anything but an acknowledged delivery, so the caller records
// the reason and tries again later. Nothing here logs a secret.
package channels

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/shaobao/shaobao/whistle"
	"github.com/shaobao/shaobao/workflows"
	"github.com/shaobao/shaobao/worktime"
)

// Message is a notification as people read it: Chinese unless the channel
// asked for English, short, with the case number, title, deadline (China
// time) and a link.
type Message struct {
	// Subject is the first line: "【哨报】预警 · 20261202-00012".
	Subject string
	// Lines are the body: title, what happened, deadline.
	Lines []string
	// Link opens the case in Shaobao's pages; empty without --public-url.
	Link string
	// Title is the case's title; Deadline the deadline line, if any.
	Title    string
	Deadline string
	// Event and the ids are for the gateways that want them.
	Event  string
	CaseID string
	Number string
}

// eventNames are the events' names in the texts; an event without one is
// called by its wire name.
var eventNames = map[string][2]string{
	whistle.EventSummoned:               {"吹哨报到", "summoned"},
	whistle.EventWarning:                {"预警", "warning"},
	whistle.EventUrged:                  {"催办", "urged"},
	whistle.EventSupervisionOrdered:     {"督办", "supervision order"},
	whistle.EventSupervisionAnswered:    {"督办答复", "supervision answered"},
	whistle.EventSupervisionBreach:      {"督办超期", "supervision overdue"},
	whistle.EventReportBreach:           {"未按时报到", "report overdue"},
	whistle.EventHandleBreach:           {"未按时办结", "handling overdue"},
	whistle.EventAcceptBreach:           {"未按时受理", "acceptance overdue"},
	whistle.EventEscalated:              {"上报", "escalated"},
	whistle.EventEscalationRequested:    {"申请上报", "escalation requested"},
	whistle.EventEscalationAnswerBreach: {"上报未按时答复", "escalation unanswered"},
	whistle.EventReturnRequested:        {"申请退回", "return requested"},
	whistle.EventExtensionRequested:     {"申请延期", "extension requested"},
	whistle.EventExtensionGranted:       {"同意延期", "extension granted"},
	whistle.EventExtensionRefused:       {"不同意延期", "extension refused"},
	whistle.EventFeedback:               {"反馈", "feedback"},
	whistle.EventVerificationFailed:     {"核查未通过", "verification failed"},
	whistle.EventDispatched:             {"派单", "dispatched"},
	whistle.EventClosed:                 {"结案", "closed"},
}

var classNames = map[string][2]string{
	string(whistle.ClassEmergency):    {"应急哨", "emergency"},
	string(whistle.ClassKey):          {"重点哨", "key"},
	string(whistle.ClassRoutine):      {"常规哨", "routine"},
	string(whistle.ClassCoordination): {"协调哨", "coordination"},
}

// EventName is the event's name in lang ("zh" or "en").
func EventName(event, lang string) string {
	if n, ok := eventNames[event]; ok {
		return n[langIndex(lang)]
	}
	return event
}

func langIndex(lang string) int {
	if lang == "en" {
		return 1
	}
	return 0
}

// Render writes n for people in lang ("en" for English, else Chinese).
// publicURL is the address of Shaobao's pages; the link opens the case
// there.
func Render(n workflows.Notification, publicURL, lang string) Message {
	en := lang == "en"
	number := n.Number
	if number == "" {
		number = n.CaseID
	}
	m := Message{Event: n.Event, CaseID: n.CaseID, Number: n.Number, Title: n.Title}
	prefix := "【哨报】"
	if en {
		prefix = "[Shaobao] "
	}
	m.Subject = prefix + EventName(n.Event, lang) + " · " + number
	class := n.Class
	if c, ok := classNames[n.Class]; ok {
		class = c[langIndex(lang)]
	}
	if en {
		m.Lines = append(m.Lines, fmt.Sprintf("Case %s (%s): %s", number, class, n.Title))
	} else {
		m.Lines = append(m.Lines, fmt.Sprintf("案件 %s（%s）：%s", number, class, n.Title))
	}
	if msg := strings.TrimSpace(n.Message); msg != "" {
		if en {
			m.Lines = append(m.Lines, "Note: "+msg)
		} else {
			m.Lines = append(m.Lines, "说明："+msg)
		}
	}
	if n.Deadline != nil {
		at := n.Deadline.In(worktime.Location).Format("2006-01-02 15:04")
		m.Deadline = "时限：" + at
		if en {
			m.Deadline = "Deadline: " + at + " (China time)"
		}
		m.Lines = append(m.Lines, m.Deadline)
	}
	if publicURL != "" {
		m.Link = strings.TrimRight(publicURL, "/") + "/app/cases/" + url.PathEscape(n.CaseID)
	}
	return m
}

// Text is the message as plain text: subject, lines, link.
func (m Message) Text() string {
	var b strings.Builder
	b.WriteString(m.Subject)
	for _, l := range m.Lines {
		b.WriteString("\n" + l)
	}
	if m.Link != "" {
		b.WriteString("\n" + m.Link)
	}
	return b.String()
}

// Markdown is the message in the markdown the robots render: a bold
// subject, the lines, the link.
func (m Message) Markdown() string {
	var b strings.Builder
	b.WriteString("**" + mdEscape(m.Subject) + "**")
	for _, l := range m.Lines {
		b.WriteString("\n\n" + mdEscape(l))
	}
	if m.Link != "" {
		b.WriteString("\n\n[" + "查看案件 / Open" + "](" + m.Link + ")")
	}
	return b.String()
}

// mdEscape keeps a title from turning into markup or a link of its own.
func mdEscape(s string) string {
	return strings.NewReplacer("*", "\\*", "[", "\\[", "]", "\\]", "`", "\\`", "<", "&lt;", ">", "&gt;").Replace(s)
}

// Short is the message for SMS: one line, at most 140 runes, link last.
func (m Message) Short() string {
	s := m.Subject + " " + m.Title
	if m.Deadline != "" {
		s += " " + m.Deadline
	}
	limit := 140
	if m.Link != "" {
		limit -= len([]rune(m.Link)) + 1
	}
	if r := []rune(s); len(r) > limit && limit > 1 {
		s = string(r[:limit-1]) + "…"
	}
	if m.Link != "" {
		s += " " + m.Link
	}
	return s
}
