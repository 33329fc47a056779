package channels

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// renderTemplate fills an SMS gateway's JSON body template: {{phone}} and
// {{text}} become the phone number and the text, escaped as JSON string
// content (the template puts them inside quotes). The result must be JSON.
func renderTemplate(tmpl, phone, text string) ([]byte, error) {
	esc := func(s string) string {
		b, _ := json.Marshal(s)
		return string(b[1 : len(b)-1])
	}
	out := strings.NewReplacer("{{phone}}", esc(phone), "{{text}}", esc(text)).Replace(tmpl)
	if !json.Valid([]byte(out)) {
		return nil, fmt.Errorf("the filled template is not JSON")
	}
	return []byte(out), nil
}

// SMSBody is the gateway's body for one phone: the template filled.
func SMSBody(tmpl, phone, text string) (json.RawMessage, error) {
	return renderTemplate(tmpl, phone, text)
}

// sendSMS POSTs the filled template for phone to the gateway; any 2xx is
// taken as accepted (gateways differ in what else they say).
func sendSMS(ctx context.Context, client *http.Client, c Config, phone, text string) error {
	body, err := SMSBody(c.Settings.BodyTemplate, phone, text)
	if err != nil {
		return fmt.Errorf("sms gateway: %w", err)
	}
	h := http.Header{}
	if c.Secrets.AuthHeader != "" {
		h.Set("Authorization", c.Secrets.AuthHeader)
	}
	if _, err := postJSON(ctx, client, c.Secrets.URL, json.RawMessage(body), h); err != nil {
		return fmt.Errorf("sms gateway to %s: %w", MaskPhone(phone), err)
	}
	return nil
}

// MaskPhone keeps a phone number's last four digits: what the log and the
// delivery list show.
func MaskPhone(p string) string {
	r := []rune(p)
	if len(r) <= 4 {
		return "****"
	}
	return strings.Repeat("*", len(r)-4) + string(r[len(r)-4:])
}
