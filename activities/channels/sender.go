package channels

import (
	"context"
	"crypto/x509"
	"fmt"
	"net/http"
	"time"
)

// Sender sends messages through the channels. Its zero value uses a
// client with a 10 s timeout and the system's CAs; the caller bounds each
// send with its context as well.
type Sender struct {
	Client *http.Client
	// RootCAs, when set, are the CAs trusted for SMTP's STARTTLS.
	RootCAs *x509.CertPool
	// Now defaults to time.Now (the signatures' timestamps).
	Now func() time.Time
}

var defaultClient = &http.Client{Timeout: 10 * time.Second}

// Send sends m through the channel c. For SMS, phone is the number to
// text; the other kinds ignore it. The webhook kind is not sent here (the
// activities sign it as the global webhook is).
func (s *Sender) Send(ctx context.Context, c Config, m Message, phone string) error {
	client := s.Client
	if client == nil {
		client = defaultClient
	}
	now := time.Now()
	if s.Now != nil {
		now = s.Now()
	}
	switch c.Kind {
	case WeCom:
		return postRobot(ctx, client, WeCom, c.Secrets.URL, WeComBody(m))
	case DingTalk:
		u, err := DingTalkURL(c.Secrets.URL, c.Secrets.Secret, now)
		if err != nil {
			return err
		}
		return postRobot(ctx, client, DingTalk, u, DingTalkBody(m))
	case Feishu:
		return postRobot(ctx, client, Feishu, c.Secrets.URL, FeishuBody(m, c.Secrets.Secret, now))
	case Email:
		return sendEmail(ctx, c, m, s.RootCAs, now)
	case SMS:
		return sendSMS(ctx, client, c, phone, m.Short())
	}
	return fmt.Errorf("channel kind %q is not sent by channels.Sender", c.Kind)
}
