package app_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/server/temporaltest"

	"github.com/shaobao/shaobao/app"
	"github.com/shaobao/shaobao/workflows"
)

// TestTemporalSecuredConnection dials a real Temporal server through a
// real TLS front (the way a secured cluster's frontend or Temporal Cloud
// is reached): with the right CA and server name it connects and the
// start-up check registers the namespace's search attributes through it;
// a wrong CA, a missing client certificate, a missing or wrong API key
// each stop the start with a message naming the flag to fix.
func TestTemporalSecuredConnection(t *testing.T) {
	ts := temporaltest.NewServer(temporaltest.WithT(t),
		temporaltest.WithBaseClientOptions(client.Options{Logger: sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))}))
	backend := ts.GetFrontendHostPort()
	dir := t.TempDir()
	ca := newCA(t, "shaobao test CA")
	other := newCA(t, "someone else's CA")
	caFile := writePEM(t, dir, "ca.pem", ca.certPEM)
	otherFile := writePEM(t, dir, "other-ca.pem", other.certPEM)
	serverCert := ca.issue(t, "temporal.test", x509.ExtKeyUsageServerAuth)
	clientCert, clientKey := ca.issuePEM(t, "shaobao-worker", x509.ExtKeyUsageClientAuth)
	certFile := writePEM(t, dir, "client.pem", clientCert)
	keyFile := writePEM(t, dir, "client.key", clientKey)

	tlsOnly := startTLSFront(t, backend, &tls.Config{Certificates: []tls.Certificate{serverCert}}, "")
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca.certPEM)
	mutual := startTLSFront(t, backend, &tls.Config{Certificates: []tls.Certificate{serverCert}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool}, "")
	keyed := startTLSFront(t, backend, &tls.Config{Certificates: []tls.Certificate{serverCert}}, "k-3a9f")

	connect := func(addr string, sec app.TemporalTLS) (*app.App, error) {
		cfg := &app.Config{TemporalAddress: addr, TemporalNamespace: ts.GetDefaultNamespace(), TemporalTLS: sec}
		a := app.New(cfg, slog.New(slog.DiscardHandler))
		t.Cleanup(a.Close)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		return a, a.ConnectTemporal(ctx)
	}
	mustFail := func(t *testing.T, err error, want ...string) {
		t.Helper()
		if err == nil {
			t.Fatal("connected, want a refusal")
		}
		t.Logf("refused: %v", err)
		for _, w := range want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error does not say %q: %v", w, err)
			}
		}
	}

	t.Run("CA", func(t *testing.T) {
		a, err := connect(tlsOnly, app.TemporalTLS{CAFile: caFile, ServerName: "temporal.test"})
		if err != nil {
			t.Fatal(err)
		}
		// serve's start-up check runs through the TLS connection.
		if err := a.EnsureSearchAttributes(context.Background()); err != nil {
			t.Fatal(err)
		}
		if err := workflows.CheckSearchAttributes(context.Background(), a.Temporal, ts.GetDefaultNamespace()); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("WrongCA", func(t *testing.T) {
		_, err := connect(tlsOnly, app.TemporalTLS{CAFile: otherFile, ServerName: "temporal.test"})
		mustFail(t, err, "--temporal-tls-ca", otherFile)
	})
	t.Run("WrongServerName", func(t *testing.T) {
		_, err := connect(tlsOnly, app.TemporalTLS{CAFile: caFile, ServerName: "frontend.elsewhere"})
		mustFail(t, err, "--temporal-tls-server-name")
	})
	t.Run("PlainAgainstTLS", func(t *testing.T) {
		_, err := connect(tlsOnly, app.TemporalTLS{})
		mustFail(t, err, "--temporal-tls")
	})
	t.Run("MutualTLS", func(t *testing.T) {
		_, err := connect(mutual, app.TemporalTLS{CAFile: caFile, ServerName: "temporal.test"})
		mustFail(t, err, "--temporal-tls-cert")
		a, err := connect(mutual, app.TemporalTLS{CAFile: caFile, ServerName: "temporal.test", CertFile: certFile, KeyFile: keyFile})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.Temporal.CheckHealth(context.Background(), &client.CheckHealthRequest{}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("CertWithoutKey", func(t *testing.T) {
		_, err := connect(mutual, app.TemporalTLS{CAFile: caFile, CertFile: certFile})
		mustFail(t, err, "--temporal-tls-key")
	})
	t.Run("APIKey", func(t *testing.T) {
		_, err := connect(keyed, app.TemporalTLS{CAFile: caFile, ServerName: "temporal.test"})
		mustFail(t, err, "--temporal-api-key")
		_, err = connect(keyed, app.TemporalTLS{CAFile: caFile, ServerName: "temporal.test", APIKey: "wrong"})
		mustFail(t, err, "refused --temporal-api-key")
		a, err := connect(keyed, app.TemporalTLS{CAFile: caFile, ServerName: "temporal.test", APIKey: "k-3a9f"})
		if err != nil {
			t.Fatal(err)
		}
		if err := a.EnsureSearchAttributes(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
}

// startTLSFront serves TLS (HTTP/2, as gRPC wants) on a loopback port and
// passes every call on to the plain frontend at backend, as a TLS
// terminating load balancer in front of a cluster does; with apiKey set it
// refuses calls without "authorization: Bearer apiKey" as Temporal
// Cloud does (gRPC status 16, unauthenticated).
func startTLSFront(t *testing.T, backend string, cfg *tls.Config, apiKey string) string {
	t.Helper()
	target := &url.URL{Scheme: "http", Host: backend}
	proxy := httputil.NewSingleHostReverseProxy(target)
	var protos http.Protocols
	protos.SetUnencryptedHTTP2(true) // the frontend speaks h2c
	proxy.Transport = &http.Transport{Protocols: &protos}
	proxy.FlushInterval = -1
	proxy.ErrorLog = slogDiscard()
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if apiKey != "" && r.Header.Get("Authorization") != "Bearer "+apiKey {
			w.Header().Set("Content-Type", "application/grpc")
			w.Header().Set("Grpc-Status", "16")
			w.Header().Set("Grpc-Message", "Request unauthorized: invalid API key")
			w.WriteHeader(http.StatusOK)
			return
		}
		proxy.ServeHTTP(w, r)
	})
	cfg = cfg.Clone()
	cfg.NextProtos = []string{"h2"}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	var srvProtos http.Protocols
	srvProtos.SetHTTP2(true)
	srv := &http.Server{Handler: h, Protocols: &srvProtos, ErrorLog: slogDiscard(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().String()
}

type testCA struct {
	cert    *x509.Certificate
	key     *ecdsa.PrivateKey
	certPEM []byte
}

func newCA(t *testing.T, name string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &testCA{cert: cert, key: key, certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// issuePEM signs a certificate for name and returns it and its key in PEM.
func (ca *testCA) issuePEM(t *testing.T, name string, usage x509.ExtKeyUsage) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: name}, DNSNames: []string{name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
}

func (ca *testCA) issue(t *testing.T, name string, usage x509.ExtKeyUsage) tls.Certificate {
	t.Helper()
	c, k := ca.issuePEM(t, name, usage)
	cert, err := tls.X509KeyPair(c, k)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

func writePEM(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// slogDiscard is a log.Logger that drops the TLS front's handshake
// complaints (the refusals under test).
func slogDiscard() *log.Logger { return log.New(io.Discard, "", 0) }
