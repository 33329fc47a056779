package loadgen

import (
	"net"
	"os"
	"runtime"
	"testing"
)

func TestReadMemoryAndListenerPID(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	m, err := ReadMemory(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if m.Peak < m.Now || m.Now <= 0 {
		t.Fatalf("memory %+v: want 0 < now <= peak", m)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if pid := ListenerPID(ln.Addr().(*net.TCPAddr).Port); pid != os.Getpid() {
		t.Fatalf("ListenerPID = %d, want this process %d", pid, os.Getpid())
	}
}
