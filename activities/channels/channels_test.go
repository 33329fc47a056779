package channels_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"math/big"
	"mime"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/shaobao/shaobao/activities/channels"
	"github.com/shaobao/shaobao/whistle"
	"github.com/shaobao/shaobao/workflows"
)

var (
	deadline = time.Date(2026, 12, 2, 7, 30, 0, 0, time.UTC) // 15:30 in China
	note     = workflows.Notification{CaseID: "SB-0012", Seq: 7, Event: whistle.EventWarning, At: deadline.Add(-time.Hour),
		Title: "和平里路口井盖缺失", Class: string(whistle.ClassEmergency), DepartmentID: "d-s1-police", TaskID: "SB-0012-T1",
		Message: "报到时限已过 75%", Number: "20261202-00012", Deadline: &deadline}
	msg = channels.Render(note, "https://shaobao.example.gov.cn/", "zh")
)

// TestRender: Chinese first with the case number, title, deadline in
// China time and the link; English when asked.
func TestRender(t *testing.T) {
	text := msg.Text()
	for _, want := range []string{"【哨报】预警 · 20261202-00012", "和平里路口井盖缺失", "应急哨", "时限：2026-12-02 15:30",
		"https://shaobao.example.gov.cn/app/cases/SB-0012", "说明：报到时限已过 75%"} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	en := channels.Render(note, "", "en").Text()
	if !strings.Contains(en, "[Shaobao] warning · 20261202-00012") || !strings.Contains(en, "Deadline: 2026-12-02 15:30 (China time)") || strings.Contains(en, "http") {
		t.Errorf("english text:\n%s", en)
	}
	if short := msg.Short(); len([]rune(short)) > 140 || !strings.HasSuffix(short, "/app/cases/SB-0012") {
		t.Errorf("sms text %d runes: %s", len([]rune(short)), short)
	}
	long := note
	long.Title = strings.Repeat("很长的标题", 60)
	if short := channels.Render(long, "https://x.cn", "zh").Short(); len([]rune(short)) > 140 || !strings.HasSuffix(short, "https://x.cn/app/cases/SB-0012") {
		t.Errorf("long sms text %d runes: %s", len([]rune(short)), short)
	}
	evil := note
	evil.Title = "[点我](https://evil.example) **加粗**"
	if md := channels.Render(evil, "", "zh").Markdown(); strings.Contains(md, "[点我](") || strings.Contains(md, "**加粗**") {
		t.Errorf("a title became markup: %s", md)
	}
}

// robot is a local server of a robot's protocol: check verifies a request
// as the robot's documentation says and returns the answer code.
type robot struct {
	mu   sync.Mutex
	got  []map[string]any
	srv  *httptest.Server
	fail func(r *http.Request, body map[string]any) string // "" accepts
}

func newRobot(t *testing.T, answer func(reason string) any, check func(r *http.Request, body map[string]any) string) *robot {
	rb := &robot{fail: check}
	rb.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		raw, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") || json.Unmarshal(raw, &body) != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		reason := rb.fail(r, body)
		rb.mu.Lock()
		if reason == "" {
			rb.got = append(rb.got, body)
		}
		rb.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(answer(reason))
	}))
	t.Cleanup(rb.srv.Close)
	return rb
}

func (rb *robot) received() []map[string]any {
	rb.mu.Lock()
	defer rb.mu.Unlock()
	return append([]map[string]any(nil), rb.got...)
}

// errcodeAnswer is WeCom's and DingTalk's answer.
func errcodeAnswer(reason string) any {
	if reason == "" {
		return map[string]any{"errcode": 0, "errmsg": "ok"}
	}
	return map[string]any{"errcode": 310000, "errmsg": reason}
}

func str(m map[string]any, path ...string) string {
	var cur any = m
	for _, p := range path {
		mm, _ := cur.(map[string]any)
		cur = mm[p]
	}
	s, _ := cur.(string)
	return s
}

// TestWeCom: the markdown message to the key URL, as WeCom documents it.
func TestWeCom(t *testing.T) {
	rb := newRobot(t, errcodeAnswer, func(r *http.Request, body map[string]any) string {
		if r.URL.Path != "/cgi-bin/webhook/send" || r.URL.Query().Get("key") != "693a91f6-key" {
			return "invalid webhook url"
		}
		if str(body, "msgtype") != "markdown" || str(body, "markdown", "content") == "" || len(str(body, "markdown", "content")) > 4096 {
			return "invalid message"
		}
		return ""
	})
	s := &channels.Sender{}
	cfg := channels.Config{Kind: channels.WeCom, Secrets: channels.Secrets{URL: rb.srv.URL + "/cgi-bin/webhook/send?key=693a91f6-key"}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := s.Send(context.Background(), cfg, msg, ""); err != nil {
		t.Fatal(err)
	}
	got := rb.received()
	if len(got) != 1 || !strings.Contains(str(got[0], "markdown", "content"), "20261202-00012") ||
		!strings.Contains(str(got[0], "markdown", "content"), "2026-12-02 15:30") {
		t.Fatalf("received %v", got)
	}
	cfg.Secrets.URL = rb.srv.URL + "/cgi-bin/webhook/send?key=wrong"
	err := s.Send(context.Background(), cfg, msg, "")
	if err == nil || !strings.Contains(err.Error(), "310000") {
		t.Fatalf("refused message = %v", err)
	}
	if strings.Contains(err.Error(), "wrong") {
		t.Errorf("the error repeats the key: %v", err)
	}
}

// TestDingTalk: the signed URL (timestamp in ms, sign = urlencoded base64
// HMAC-SHA256 of "timestamp\nsecret" under the secret) checked as
// DingTalk documents it, and a markdown message with a title.
func TestDingTalk(t *testing.T) {
	const secret = "SEC0123456789abcdef"
	now := time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC)
	rb := newRobot(t, errcodeAnswer, func(r *http.Request, body map[string]any) string {
		q := r.URL.Query()
		if q.Get("access_token") != "tok123" {
			return "token is not exist"
		}
		ts, err := strconv.ParseInt(q.Get("timestamp"), 10, 64)
		if err != nil || ts != now.UnixMilli() {
			return "invalid timestamp"
		}
		// Computed here from the documentation, not with DingTalkSign.
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write([]byte(q.Get("timestamp") + "\n" + secret))
		if q.Get("sign") != base64.StdEncoding.EncodeToString(mac.Sum(nil)) {
			return "sign not match"
		}
		if !strings.Contains(r.URL.RawQuery, "sign="+strings.NewReplacer("+", "%2B", "/", "%2F", "=", "%3D").Replace(q.Get("sign"))) {
			return "sign not url-encoded"
		}
		if str(body, "msgtype") != "markdown" || str(body, "markdown", "title") == "" || str(body, "markdown", "text") == "" {
			return "invalid message"
		}
		return ""
	})
	s := &channels.Sender{Now: func() time.Time { return now }}
	cfg := channels.Config{Kind: channels.DingTalk, Secrets: channels.Secrets{URL: rb.srv.URL + "/robot/send?access_token=tok123", Secret: secret}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := s.Send(context.Background(), cfg, msg, ""); err != nil {
		t.Fatal(err)
	}
	if got := rb.received(); len(got) != 1 || str(got[0], "markdown", "title") != msg.Subject {
		t.Fatalf("received %v", got)
	}
	cfg.Secrets.Secret = "SECwrong"
	if err := s.Send(context.Background(), cfg, msg, ""); err == nil || !strings.Contains(err.Error(), "sign not match") {
		t.Fatalf("wrong secret = %v", err)
	}
	if err := (channels.Config{Kind: channels.DingTalk, Secrets: channels.Secrets{URL: rb.srv.URL}}).Validate(); whistle.ErrorCode(err) != whistle.EInvalid {
		t.Errorf("no secret = %v", err)
	}
}

// TestFeishu: timestamp (seconds) and sign in the body, the sign being
// base64 HMAC-SHA256 keyed with "timestamp\nsecret" over nothing, as
// Feishu documents it; a text message.
func TestFeishu(t *testing.T) {
	const secret = "feishu-secret"
	now := time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC)
	answer := func(reason string) any {
		if reason == "" {
			return map[string]any{"code": 0, "msg": "success", "data": map[string]any{}}
		}
		return map[string]any{"code": 19021, "msg": reason}
	}
	rb := newRobot(t, answer, func(r *http.Request, body map[string]any) string {
		if r.URL.Path != "/open-apis/bot/v2/hook/hook-token" {
			return "incoming webhook access token invalid"
		}
		ts := str(body, "timestamp")
		if ts != strconv.FormatInt(now.Unix(), 10) {
			return "timestamp invalid"
		}
		mac := hmac.New(sha256.New, []byte(ts+"\n"+secret))
		if str(body, "sign") != base64.StdEncoding.EncodeToString(mac.Sum(nil)) {
			return "sign match fail or timestamp is not within one hour from current time"
		}
		if str(body, "msg_type") != "text" || !strings.Contains(str(body, "content", "text"), "和平里路口井盖缺失") {
			return "invalid message"
		}
		return ""
	})
	s := &channels.Sender{Now: func() time.Time { return now }}
	cfg := channels.Config{Kind: channels.Feishu, Secrets: channels.Secrets{URL: rb.srv.URL + "/open-apis/bot/v2/hook/hook-token", Secret: secret}}
	if err := s.Send(context.Background(), cfg, msg, ""); err != nil {
		t.Fatal(err)
	}
	if len(rb.received()) != 1 {
		t.Fatal("not received")
	}
	cfg.Secrets.Secret = "other"
	if err := s.Send(context.Background(), cfg, msg, ""); err == nil || !strings.Contains(err.Error(), "19021") {
		t.Fatalf("wrong secret = %v", err)
	}
}

// TestSMSGateway: the template filled with the phone and the text, JSON
// escaped, with the gateway's Authorization; a gateway error fails.
func TestSMSGateway(t *testing.T) {
	var mu sync.Mutex
	var bodies []map[string]any
	status := http.StatusOK
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer gw-token" {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		var b map[string]any
		if err := json.NewDecoder(r.Body).Decode(&b); err != nil {
			http.Error(w, "bad json", http.StatusBadRequest)
			return
		}
		mu.Lock()
		bodies = append(bodies, b)
		st := status
		mu.Unlock()
		w.WriteHeader(st)
		_, _ = w.Write([]byte(`{"result":"ok"}`))
	}))
	defer gw.Close()
	cfg := channels.Config{Kind: channels.SMS, Settings: channels.Settings{
		BodyTemplate: `{"sign":"哨报","mobiles":["{{phone}}"],"content":"{{text}}","ext":{"source":"shaobao"}}`},
		Secrets: channels.Secrets{URL: gw.URL + "/sms/send", AuthHeader: "Bearer gw-token"}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	quoted := note
	quoted.Title = `井盖 "缺失" \ 待修`
	m := channels.Render(quoted, "", "zh")
	if err := (&channels.Sender{}).Send(context.Background(), cfg, m, "13800138000"); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	got := bodies
	mu.Unlock()
	if len(got) != 1 || got[0]["content"] != m.Short() || got[0]["mobiles"].([]any)[0] != "13800138000" || got[0]["sign"] != "哨报" {
		t.Fatalf("gateway got %v", got)
	}
	mu.Lock()
	status = http.StatusBadGateway
	mu.Unlock()
	err := (&channels.Sender{}).Send(context.Background(), cfg, m, "13800138000")
	if err == nil || !strings.Contains(err.Error(), "502") || strings.Contains(err.Error(), "13800138000") {
		t.Fatalf("gateway error = %v (must fail, phone masked)", err)
	}
	for name, tmpl := range map[string]string{"NoText": `{"to":"{{phone}}"}`, "NotJSON": `to={{phone}}&text={{text}}`} {
		bad := cfg
		bad.Settings.BodyTemplate = tmpl
		if err := bad.Validate(); whistle.ErrorCode(err) != whistle.EInvalid {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// smtpServer is a real SMTP server (go-smtp) offering STARTTLS and AUTH
// PLAIN, keeping what it receives.
type smtpServer struct {
	mu       sync.Mutex
	messages []smtpMessage
}

type smtpMessage struct {
	from string
	to   []string
	data []byte
	tls  bool
}

type smtpSession struct {
	srv  *smtpServer
	conn *smtp.Conn
	msg  smtpMessage
	auth bool
}

func (s *smtpSession) AuthMechanisms() []string { return []string{sasl.Plain} }
func (s *smtpSession) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != "notify@shaobao.example" || password != "smtp-pass" {
			return errors.New("invalid credentials")
		}
		s.auth = true
		return nil
	}), nil
}
func (s *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	if !s.auth {
		return &smtp.SMTPError{Code: 530, Message: "authentication required"}
	}
	s.msg.from = from
	return nil
}
func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.msg.to = append(s.msg.to, to)
	return nil
}
func (s *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	_, isTLS := s.conn.TLSConnectionState()
	s.msg.data, s.msg.tls = b, isTLS
	s.srv.mu.Lock()
	s.srv.messages = append(s.srv.messages, s.msg)
	s.srv.mu.Unlock()
	return nil
}
func (s *smtpSession) Reset()        { s.msg = smtpMessage{} }
func (s *smtpSession) Logout() error { return nil }

// startSMTP serves SMTP on a loopback port; withTLS offers STARTTLS under
// a fresh certificate for 127.0.0.1, whose pool it returns.
func startSMTP(t *testing.T, withTLS bool) (*smtpServer, int, *x509.CertPool) {
	t.Helper()
	srv := &smtpServer{}
	be := smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) { return &smtpSession{srv: srv, conn: c}, nil })
	s := smtp.NewServer(be)
	s.Domain = "mail.test"
	s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
	pool := x509.NewCertPool()
	if withTLS {
		cert, leaf := selfSigned(t)
		s.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
		pool.AddCert(leaf)
	} else {
		s.AllowInsecureAuth = true
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = s.Serve(ln) }()
	t.Cleanup(func() { _ = s.Close() })
	return srv, ln.Addr().(*net.TCPAddr).Port, pool
}

func selfSigned(t *testing.T) (tls.Certificate, *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, leaf
}

// TestEmail: STARTTLS, AUTH PLAIN, the recipients, a UTF-8 subject and
// body; a server without STARTTLS, a wrong password and an untrusted
// certificate all fail.
func TestEmail(t *testing.T) {
	srv, port, pool := startSMTP(t, true)
	cfg := channels.Config{Kind: channels.Email, Settings: channels.Settings{SMTPHost: "127.0.0.1", SMTPPort: port,
		Username: "notify@shaobao.example", From: "哨报 <notify@shaobao.example>", To: []string{"duty@police.example", "Chief <chief@police.example>"}},
		Secrets: channels.Secrets{Password: "smtp-pass"}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := (&channels.Sender{RootCAs: pool}).Send(ctx, cfg, msg, ""); err != nil {
		t.Fatal(err)
	}
	srv.mu.Lock()
	got := srv.messages
	srv.mu.Unlock()
	if len(got) != 1 || !got[0].tls || got[0].from != "notify@shaobao.example" || strings.Join(got[0].to, ",") != "duty@police.example,chief@police.example" {
		t.Fatalf("received %+v", got)
	}
	m, err := mail.ReadMessage(bytes.NewReader(got[0].data))
	if err != nil {
		t.Fatal(err)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil || subject != msg.Subject {
		t.Errorf("subject %q %v", subject, err)
	}
	body, _ := io.ReadAll(base64.NewDecoder(base64.StdEncoding, m.Body))
	if string(body) != msg.Text() {
		t.Errorf("body %q", body)
	}

	t.Run("WrongPassword", func(t *testing.T) {
		bad := cfg
		bad.Secrets.Password = "nope"
		if err := (&channels.Sender{RootCAs: pool}).Send(ctx, bad, msg, ""); err == nil || !strings.Contains(err.Error(), "AUTH") {
			t.Fatalf("wrong password = %v", err)
		}
	})
	t.Run("UntrustedCertificate", func(t *testing.T) {
		if err := (&channels.Sender{RootCAs: x509.NewCertPool()}).Send(ctx, cfg, msg, ""); err == nil || !strings.Contains(err.Error(), "STARTTLS") {
			t.Fatalf("untrusted certificate = %v", err)
		}
	})
	t.Run("NoSTARTTLS", func(t *testing.T) {
		plain, plainPort, _ := startSMTP(t, false)
		c := cfg
		c.Settings.SMTPPort = plainPort
		if err := (&channels.Sender{RootCAs: pool}).Send(ctx, c, msg, ""); err == nil || !strings.Contains(err.Error(), "STARTTLS") {
			t.Fatalf("server without STARTTLS = %v", err)
		}
		plain.mu.Lock()
		defer plain.mu.Unlock()
		if len(plain.messages) != 0 {
			t.Fatal("sent in the clear")
		}
	})
}

// TestSecretsMasked: the masked view names the secrets set and shows no
// part of them but the URL's host.
func TestSecretsMasked(t *testing.T) {
	sec := channels.Secrets{URL: "https://oapi.dingtalk.com/robot/send?access_token=tok123", Secret: "SECabc"}
	m := sec.Masked()
	if m["url"] != "https://oapi.dingtalk.com/******" || m["secret"] != "******" || len(m) != 2 {
		t.Fatalf("masked = %v", m)
	}
	merged := sec.Merge(channels.Secrets{Secret: "SECnew"})
	if merged.URL != sec.URL || merged.Secret != "SECnew" {
		t.Fatalf("merged = %+v", merged)
	}
}
