package channels

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DingTalkSign is DingTalk's 加签 for a custom robot: base64 of
// HMAC-SHA256 under secret of "timestamp\nsecret", timestamp in
// milliseconds. The caller URL-encodes it into the webhook's query.
func DingTalkSign(secret string, timestampMillis int64) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(strconv.FormatInt(timestampMillis, 10) + "\n" + secret))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// FeishuSign is Feishu/Lark's 签名校验 for a custom bot: base64 of
// HMAC-SHA256 keyed with "timestamp\nsecret" over an empty message,
// timestamp in seconds. It travels in the JSON body beside the timestamp.
func FeishuSign(secret string, timestampSeconds int64) string {
	mac := hmac.New(sha256.New, []byte(strconv.FormatInt(timestampSeconds, 10)+"\n"+secret))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// WeComBody is the WeCom group robot's markdown message.
func WeComBody(m Message) any {
	return map[string]any{"msgtype": "markdown", "markdown": map[string]string{"content": m.Markdown()}}
}

// DingTalkBody is the DingTalk robot's markdown message; the title is
// what the chat list shows.
func DingTalkBody(m Message) any {
	return map[string]any{"msgtype": "markdown", "markdown": map[string]string{"title": m.Subject, "text": m.Markdown()}}
}

// FeishuBody is the Feishu bot's text message with its signature.
func FeishuBody(m Message, secret string, now time.Time) any {
	ts := now.Unix()
	return map[string]any{"timestamp": strconv.FormatInt(ts, 10), "sign": FeishuSign(secret, ts),
		"msg_type": "text", "content": map[string]string{"text": m.Text()}}
}

// DingTalkURL adds timestamp and sign to the robot's webhook address.
func DingTalkURL(webhook, secret string, now time.Time) (string, error) {
	u, err := url.Parse(webhook)
	if err != nil {
		return "", fmt.Errorf("dingtalk webhook address: %w", hideURL(err))
	}
	ts := now.UnixMilli()
	q := u.Query()
	q.Set("timestamp", strconv.FormatInt(ts, 10))
	q.Set("sign", DingTalkSign(secret, ts))
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// robotAnswer is what the robots answer: WeCom and DingTalk errcode and
// errmsg, Feishu code and msg (older bots StatusCode). Zero is success.
type robotAnswer struct {
	ErrCode    *int   `json:"errcode"`
	ErrMsg     string `json:"errmsg"`
	Code       *int   `json:"code"`
	Msg        string `json:"msg"`
	StatusCode *int   `json:"StatusCode"`
}

// postJSON POSTs body to address and returns the start of the answer; any
// status but 2xx is an error. Errors never repeat the address: it holds
// the robot's token.
func postJSON(ctx context.Context, client *http.Client, address string, body any, header http.Header) ([]byte, error) {
	raw, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("encode message: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, address, bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("request: %w", hideURL(err))
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("post: %w", hideURL(err))
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 2048))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return answer, fmt.Errorf("answered %s: %s", resp.Status, snippet(answer))
	}
	return answer, nil
}

// postRobot posts to a robot and checks its answer's code: the robots
// answer 200 with a non-zero code for a refused message (bad signature,
// keyword, rate limit).
func postRobot(ctx context.Context, client *http.Client, kind Kind, address string, body any) error {
	answer, err := postJSON(ctx, client, address, body, nil)
	if err != nil {
		return fmt.Errorf("%s robot: %w", kind, err)
	}
	var a robotAnswer
	if err := json.Unmarshal(answer, &a); err != nil {
		return fmt.Errorf("%s robot: answer is not JSON: %s", kind, snippet(answer))
	}
	for _, code := range []*int{a.ErrCode, a.Code, a.StatusCode} {
		if code != nil && *code != 0 {
			return fmt.Errorf("%s robot refused the message: code %d %s", kind, *code, a.ErrMsg+a.Msg)
		}
	}
	if a.ErrCode == nil && a.Code == nil && a.StatusCode == nil {
		return fmt.Errorf("%s robot: answer has no code: %s", kind, snippet(answer))
	}
	return nil
}

func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if r := []rune(s); len(r) > 200 {
		s = string(r[:200]) + "…"
	}
	return s
}

// hideURL keeps only the scheme and host of the address an error repeats:
// a robot's path and query hold its token.
func hideURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if u, perr := url.Parse(ue.URL); perr == nil && u.Host != "" {
			ue.URL = u.Scheme + "://" + u.Host + "/…"
		} else {
			ue.URL = "…"
		}
	}
	return err
}
