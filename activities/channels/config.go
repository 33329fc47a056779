package channels

import (
	"net/mail"
	"net/url"
	"strings"

	"github.com/shaobao/shaobao/whistle"
)

// Kind names an outside channel.
type Kind string

// The outside channels.
const (
	WeCom    Kind = "wecom"    // 企业微信群机器人
	DingTalk Kind = "dingtalk" // 钉钉自定义机器人 (加签)
	Feishu   Kind = "feishu"   // 飞书/Lark 自定义机器人 (签名校验)
	Email    Kind = "email"    // SMTP with STARTTLS
	SMS      Kind = "sms"      // a province's HTTP SMS gateway
	Webhook  Kind = "webhook"  // Shaobao's signed webhook
)

// Kinds lists the kinds in the order the pages show them.
var Kinds = []Kind{WeCom, DingTalk, Feishu, Email, SMS, Webhook}

// Settings are what an admin may read back of a channel: no credential.
type Settings struct {
	// Lang is the language of the texts: "zh" (default) or "en".
	Lang string `json:"lang,omitempty"`
	// Email.
	SMTPHost string   `json:"smtp_host,omitempty"`
	SMTPPort int      `json:"smtp_port,omitempty"`
	Username string   `json:"username,omitempty"`
	From     string   `json:"from,omitempty"`
	To       []string `json:"to,omitempty"`
	// SMS: the numbers that get every message (the duty roster adds the
	// person on duty for emergencies), and the JSON body the gateway
	// takes, with {{phone}} and {{text}} where they go.
	Phones       []string `json:"phones,omitempty"`
	BodyTemplate string   `json:"body_template,omitempty"`
}

// Secrets are sealed in the database and never shown or logged: robot
// URLs carry their access token, so the URL itself is a secret.
type Secrets struct {
	// URL is the robot's webhook address, the SMS gateway's endpoint or
	// the signed webhook's address.
	URL string `json:"url,omitempty"`
	// Secret signs: DingTalk's 加签 secret (SEC...), Feishu's 签名校验
	// secret, the webhook's HMAC secret.
	Secret string `json:"secret,omitempty"`
	// Password is the SMTP password.
	Password string `json:"password,omitempty"`
	// AuthHeader is the SMS gateway's Authorization header value.
	AuthHeader string `json:"auth_header,omitempty"`
}

// Merge returns s with the fields set in upd replacing its own: an admin
// who edits a channel sends only the secrets they change.
func (s Secrets) Merge(upd Secrets) Secrets {
	for _, f := range []struct {
		dst *string
		src string
	}{{&s.URL, upd.URL}, {&s.Secret, upd.Secret}, {&s.Password, upd.Password}, {&s.AuthHeader, upd.AuthHeader}} {
		if f.src != "" {
			*f.dst = f.src
		}
	}
	return s
}

// Masked names the secrets that are set, each with a masked value: the
// URL's scheme and host only, the others "******".
func (s Secrets) Masked() map[string]string {
	out := map[string]string{}
	if s.URL != "" {
		out["url"] = "******"
		if u, err := url.Parse(s.URL); err == nil && u.Host != "" {
			out["url"] = u.Scheme + "://" + u.Host + "/******"
		}
	}
	for k, v := range map[string]string{"secret": s.Secret, "password": s.Password, "auth_header": s.AuthHeader} {
		if v != "" {
			out[k] = "******"
		}
	}
	return out
}

// Config is one channel as a sender needs it.
type Config struct {
	Kind     Kind
	Settings Settings
	Secrets  Secrets
}

func invalid(zh, en string, args ...any) error {
	return whistle.Errorf(whistle.EInvalid, zh, en, args...)
}

// Validate says what is missing or wrong in c for its kind, as an invalid
// error an admin can act on.
func (c Config) Validate() error {
	if c.Settings.Lang != "" && c.Settings.Lang != "zh" && c.Settings.Lang != "en" {
		return invalid("lang 须为 zh 或 en", "lang must be zh or en")
	}
	needURL := func() error {
		u, err := url.Parse(c.Secrets.URL)
		if c.Secrets.URL == "" || err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return invalid("%s 渠道须有 http(s) 地址 url", "a %s channel needs an http(s) url", c.Kind)
		}
		return nil
	}
	switch c.Kind {
	case WeCom:
		return needURL()
	case DingTalk, Feishu, Webhook:
		if err := needURL(); err != nil {
			return err
		}
		if c.Secrets.Secret == "" {
			return invalid("%s 渠道须有签名密钥 secret", "a %s channel needs its signing secret", c.Kind)
		}
		return nil
	case Email:
		if c.Settings.SMTPHost == "" || c.Settings.SMTPPort <= 0 || c.Settings.SMTPPort > 65535 {
			return invalid("邮件渠道须有 smtp_host 和 smtp_port", "an email channel needs smtp_host and smtp_port")
		}
		if _, err := mail.ParseAddress(c.Settings.From); err != nil {
			return invalid("发件人 from 不是邮件地址", "from is not an email address")
		}
		if len(c.Settings.To) == 0 {
			return invalid("邮件渠道须有收件人 to", "an email channel needs recipients (to)")
		}
		for _, to := range c.Settings.To {
			if _, err := mail.ParseAddress(to); err != nil {
				return invalid("收件人不是邮件地址：%s", "not an email address: %s", to)
			}
		}
		return nil
	case SMS:
		if err := needURL(); err != nil {
			return err
		}
		if !strings.Contains(c.Settings.BodyTemplate, "{{text}}") || !strings.Contains(c.Settings.BodyTemplate, "{{phone}}") {
			return invalid("短信模板 body_template 须含 {{phone}} 和 {{text}}", "body_template must contain {{phone}} and {{text}}")
		}
		if _, err := renderTemplate(c.Settings.BodyTemplate, "13800000000", "x"); err != nil {
			return invalid("短信模板不是 JSON：%v", "body_template is not JSON: %v", err)
		}
		for _, p := range c.Settings.Phones {
			if !ValidPhone(p) {
				return invalid("手机号不对：%s", "not a phone number: %s", p)
			}
		}
		return nil
	}
	return invalid("未知渠道类型：%s", "unknown channel kind: %s", c.Kind)
}

// ValidPhone reports whether p looks like a phone number: digits, an
// optional leading +, 5 to 20 of them, dashes allowed.
func ValidPhone(p string) bool {
	digits := 0
	for i, r := range p {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '+' && i == 0, r == '-':
		default:
			return false
		}
	}
	return digits >= 5 && digits <= 20
}
