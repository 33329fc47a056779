// Package redact masks the secrets a URL may carry, so that a URL can be
// logged, printed or returned in an error. It imports only the standard
// library: every package that logs a URL may use it.
package redact

import (
	"errors"
	"net/url"
	"regexp"
	"strings"
)

// Mask replaces each secret.
const Mask = "xxxxx"

// URL returns raw with every secret-bearing part replaced by Mask: the
// userinfo password; the value of each query or fragment parameter named
// like a credential (access_token, key, sign, password, X-Amz-Signature…,
// see SecretParam), or of such a setting of a libpq keyword=value string;
// the path segments after a "hook" or "webhooks" segment,
// where capability URLs (Feishu/Lark robots, Discord) keep their token. The
// scheme, host, the rest of the path and the other parameters stay as they
// were, in their order. A raw URL that does not parse is hidden whole but
// for its scheme: its secrets cannot be located.
func URL(raw string) string {
	if raw == "" {
		return ""
	}
	base, frag, hasFrag := strings.Cut(raw, "#")
	u, err := url.Parse(base)
	if err != nil {
		if scheme, _, ok := strings.Cut(raw, "://"); ok && !strings.ContainsAny(scheme, "/?#@") {
			return scheme + "://" + Mask
		}
		return Mask
	}
	if u.Scheme == "" && u.Host == "" && strings.Contains(u.Path, "=") {
		// No URL but keyword=value settings, as libpq takes them
		// ("host=db password=x"): mask the secret settings.
		return maskKeywords(raw)
	}
	query := u.RawQuery
	forceQuery := u.ForceQuery
	u.RawQuery, u.ForceQuery = "", false
	if u.User != nil {
		if pw, _ := u.User.Password(); pw != "" {
			u.User = url.UserPassword(u.User.Username(), Mask)
		}
	}
	if p, changed := maskHookPath(u.EscapedPath()); changed {
		u.RawPath = p
		u.Path, _ = url.PathUnescape(p) // p came from a valid escaped path
	}
	out := u.String()
	if query != "" || forceQuery {
		out += "?" + maskParams(query)
	}
	if hasFrag {
		out += "#" + maskParams(frag)
	}
	return out
}

// Error masks the URL inside err's *url.Error, if any, in place, and returns
// err: net/http's client and url.Parse return one whose message repeats
// the whole URL, tokens included. The chain (errors.Is, errors.As,
// Timeout) is kept. Only call it on an error the caller owns.
func Error(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		ue.URL = URL(ue.URL)
	}
	return err
}

// maskParams masks the values of the secret parameters of an
// "a=1&b=2" string, keeping everything else as written.
func maskParams(s string) string {
	if s == "" {
		return s
	}
	parts := strings.Split(s, "&")
	for i, part := range parts {
		k, v, ok := strings.Cut(part, "=")
		if !ok || v == "" {
			continue
		}
		name, err := url.QueryUnescape(k)
		if err != nil {
			name = k
		}
		if SecretParam(name) {
			parts[i] = k + "=" + Mask
		}
	}
	return strings.Join(parts, "&")
}

// keyword is one key=value setting of a libpq-style connection string; a
// value may be single-quoted with backslash escapes.
var keyword = regexp.MustCompile(`([A-Za-z_][A-Za-z0-9_.-]*)(\s*=\s*)('(?:[^'\\]|\\.)*'|\S*)`)

// maskKeywords masks the secret values of key=value settings.
func maskKeywords(s string) string {
	return keyword.ReplaceAllStringFunc(s, func(m string) string {
		sub := keyword.FindStringSubmatch(m)
		if !SecretParam(sub[1]) || sub[3] == "" || sub[3] == "''" {
			return m
		}
		return sub[1] + sub[2] + Mask
	})
}

// exactSecrets are parameter names (lower case, without '-', '_' and '.')
// that carry a secret only as a whole word: "sign" but not "design".
var exactSecrets = map[string]bool{
	"sign": true, "sig": true, "pwd": true, "pass": true, "passwd": true, "auth": true,
	"authorization": true, "code": true, "session": true, "sessionid": true, "jwt": true,
}

// secretSuffixes end the names of parameters that carry a secret:
// access_token, apikey, appSecret, client_secret, X-Amz-Signature…
var secretSuffixes = []string{"token", "key", "secret", "password", "signature", "credential", "credentials"}

// SecretParam reports whether a query parameter of this name carries a
// secret. Names compare without case, '-', '_' and '.'.
func SecretParam(name string) bool {
	n := strings.Map(func(r rune) rune {
		switch r {
		case '-', '_', '.':
			return -1
		}
		return r
	}, strings.ToLower(name))
	if exactSecrets[n] {
		return true
	}
	for _, s := range secretSuffixes {
		if strings.HasSuffix(n, s) {
			return true
		}
	}
	return false
}

// hookSegments name a path segment after which a capability URL keeps its
// token: Feishu/Lark /open-apis/bot/v2/hook/<token>, Discord
// /api/webhooks/<id>/<token>.
var hookSegments = map[string]bool{"hook": true, "hooks": true, "webhook": true, "webhooks": true}

// maskHookPath masks every segment after the first hook segment of an
// escaped path.
func maskHookPath(p string) (string, bool) {
	segs := strings.Split(p, "/")
	changed := false
	for i, after := 0, false; i < len(segs); i++ {
		if after && segs[i] != "" {
			segs[i] = Mask
			changed = true
		}
		if hookSegments[strings.ToLower(segs[i])] {
			after = true
		}
	}
	return strings.Join(segs, "/"), changed
}
