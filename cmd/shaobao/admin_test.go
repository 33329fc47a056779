package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shaobao/shaobao/app"
	"github.com/shaobao/shaobao/store"
)

// TestTokenNeedsADatabase: `token X --data DIR` with no database there
// fails saying so, and creates neither the folder nor a file.
func TestTokenNeedsADatabase(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	err := runToken(context.Background(), []string{"c1-secretary", "--data", dir})
	if err == nil || !strings.Contains(err.Error(), "no database") || !strings.Contains(err.Error(), " dev --data ") {
		t.Fatalf("token with no database: %v", err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("the data folder was created: %v", err)
	}
}

func TestAdminCreate(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	pw := filepath.Join(dir, "pw")
	write := func(s string) {
		if err := os.WriteFile(pw, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	data := filepath.Join(dir, "data")
	tests := []struct {
		name, password, want string
	}{
		{"TooShort", "short\n", "at least 10"},
		{"IsTheUsername", "ops-admin1\n", "username"},
		{"Good", "first-admin-password\n", ""},
		{"Taken", "first-admin-password\n", "taken"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			write(tt.password)
			err := runAdmin(ctx, []string{"create", "--username", "ops-admin1", "--password-file", pw, "--data", data})
			if tt.want == "" && err != nil {
				t.Fatal(err)
			}
			if tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Fatalf("err = %v, want one saying %q", err, tt.want)
			}
		})
	}
	st, err := app.OpenStore(ctx, &app.Config{DataDir: data})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.SignIn(ctx, "ops-admin1", "first-admin-password", store.Client{}, store.DefaultSessionPolicy); err != nil {
		t.Fatalf("the new admin cannot sign in: %v", err)
	}
}

// TestFirstAdminFromEnv: the variable creates "admin" while there is no
// admin, is cleared from the process, and is ignored once one exists.
func TestFirstAdminFromEnv(t *testing.T) {
	ctx := context.Background()
	st, err := app.OpenStore(ctx, &app.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var said []string
	logf := func(msg string, _ ...any) { said = append(said, msg) }

	t.Setenv(adminPasswordEnv, "12345678901")
	if err := firstAdminFromEnv(ctx, st, logf); err == nil {
		t.Fatal("a password the policy refuses was accepted")
	}
	t.Setenv(adminPasswordEnv, "env-admin-password")
	if err := firstAdminFromEnv(ctx, st, logf); err != nil {
		t.Fatal(err)
	}
	if _, ok := os.LookupEnv(adminPasswordEnv); ok {
		t.Errorf("%s left in the environment", adminPasswordEnv)
	}
	if _, err := st.SignIn(ctx, "admin", "env-admin-password", store.Client{}, store.DefaultSessionPolicy); err != nil {
		t.Fatalf("the env admin cannot sign in: %v", err)
	}
	t.Setenv(adminPasswordEnv, "another-password")
	if err := firstAdminFromEnv(ctx, st, logf); err != nil {
		t.Fatal(err)
	}
	if len(said) != 2 || !strings.Contains(said[1], "ignored") {
		t.Errorf("logged %q, want the second start to say the variable is ignored", said)
	}
	if _, err := st.SignIn(ctx, "admin", "another-password", store.Client{}, store.DefaultSessionPolicy); err == nil {
		t.Error("the variable changed an existing admin's password")
	}
}
