package app

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"

	"go.temporal.io/sdk/client"
)

// TemporalTLS is how the process reaches a secured Temporal cluster: TLS
// against a private CA, a client certificate for mutual TLS, and an API
// key (Temporal Cloud). The zero value is the plain connection of a
// cluster on a private network.
type TemporalTLS struct {
	Enabled    bool   // TLS with the system's roots even without CA or certificate
	CAFile     string // PEM CA bundle the frontend's certificate must chain to; empty: the system's roots
	CertFile   string // PEM client certificate for mutual TLS (with KeyFile)
	KeyFile    string // PEM private key of CertFile
	ServerName string // name the frontend's certificate must carry; empty: the host of the address
	APIKey     string // sent as "authorization: Bearer KEY"; turns TLS on (the SDK does)
}

// on reports whether any TLS setting is given.
func (t TemporalTLS) on() bool {
	return t.Enabled || t.CAFile != "" || t.CertFile != "" || t.KeyFile != "" || t.ServerName != ""
}

// tlsConfig is the client TLS configuration of t, or nil for a plain
// connection. The files are read now, so a wrong path stops the start with
// its flag's name; the client certificate is read again at each handshake,
// so a certificate renewed on disk (cert-manager, a mounted Secret) is used
// without a restart.
func (t TemporalTLS) tlsConfig() (*tls.Config, error) {
	if !t.on() {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: t.ServerName}
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("--temporal-tls-ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--temporal-tls-ca: %s holds no PEM certificate", t.CAFile)
		}
		cfg.RootCAs = pool
	}
	if (t.CertFile == "") != (t.KeyFile == "") {
		return nil, errors.New("--temporal-tls-cert and --temporal-tls-key go together: give both for mutual TLS, or neither")
	}
	if t.CertFile != "" {
		if _, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile); err != nil {
			return nil, fmt.Errorf("--temporal-tls-cert/--temporal-tls-key: %w", err)
		}
		certFile, keyFile := t.CertFile, t.KeyFile
		cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			c, err := tls.LoadX509KeyPair(certFile, keyFile)
			if err != nil {
				return nil, fmt.Errorf("Temporal client certificate %s: %w", certFile, err)
			}
			return &c, nil
		}
	}
	return cfg, nil
}

// temporalOptions are the client options of the configured frontend,
// namespace and security, without logger or metrics.
func (c *Config) temporalOptions() (client.Options, error) {
	opts := client.Options{HostPort: c.TemporalAddress, Namespace: c.TemporalNamespace}
	tlsCfg, err := c.TemporalTLS.tlsConfig()
	if err != nil {
		return opts, err
	}
	opts.ConnectionOptions.TLS = tlsCfg
	if c.TemporalTLS.APIKey != "" {
		opts.Credentials = client.NewAPIKeyStaticCredentials(c.TemporalTLS.APIKey)
	}
	return opts, nil
}

// explainDial adds to a failed dial what the operator most likely has to
// change: gRPC reports a refused certificate or key only as text.
func (c *Config) explainDial(err error) error {
	msg := err.Error()
	t := c.TemporalTLS
	switch {
	case strings.Contains(msg, "certificate signed by unknown authority") || strings.Contains(msg, "certificate is not trusted"):
		if t.CAFile != "" {
			return fmt.Errorf("%w (the frontend's certificate does not chain to --temporal-tls-ca %s: give the CA that signed it)", err, t.CAFile)
		}
		return fmt.Errorf("%w (the frontend's certificate is not signed by a CA this system trusts: give it with --temporal-tls-ca)", err)
	case strings.Contains(msg, "certificate is valid for") || strings.Contains(msg, "doesn't contain any IP SANs"):
		return fmt.Errorf("%w (the frontend's certificate names another host: set --temporal-tls-server-name to a name it carries)", err)
	case strings.Contains(msg, "first record does not look like a TLS handshake") || strings.Contains(msg, "server gave HTTP response"):
		return fmt.Errorf("%w (the frontend does not speak TLS: drop the --temporal-tls options, or point --temporal-address at its TLS port)", err)
	case strings.Contains(msg, "certificate required") || strings.Contains(msg, "bad certificate") || strings.Contains(msg, "unknown certificate authority"):
		if t.CertFile == "" {
			return fmt.Errorf("%w (the frontend wants a client certificate: give --temporal-tls-cert and --temporal-tls-key)", err)
		}
		return fmt.Errorf("%w (the frontend refused the client certificate %s)", err, t.CertFile)
	case strings.Contains(msg, "Unauthenticated") || strings.Contains(msg, "PermissionDenied") || strings.Contains(msg, "Request unauthorized"):
		if t.APIKey == "" {
			return fmt.Errorf("%w (the frontend wants credentials: give --temporal-api-key, or a client certificate)", err)
		}
		return fmt.Errorf("%w (the frontend refused --temporal-api-key)", err)
	case t.on() && t.CertFile == "" && (strings.Contains(msg, "broken pipe") || strings.Contains(msg, "connection reset") || strings.Contains(msg, "EOF")):
		// Under TLS 1.3 the frontend's refusal of a missing client
		// certificate can arrive after the client's first write: the client
		// sees its connection closed, not the alert.
		return fmt.Errorf("%w (the frontend closed the TLS connection: if it wants a client certificate, give --temporal-tls-cert and --temporal-tls-key)", err)
	case !t.on() && t.APIKey == "" && (strings.Contains(msg, "connection reset") || strings.Contains(msg, "EOF") || strings.Contains(msg, "error reading server preface")):
		return fmt.Errorf("%w (if the frontend speaks TLS, give --temporal-tls or --temporal-tls-ca)", err)
	}
	return err
}
