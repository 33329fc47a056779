package loadgen

import (
	"net"
	"os"
	"runtime"
	"testing"
	"time"
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
	// Spin until the kernel has counted a tick of CPU time (10 ms).
	for deadline := time.Now().Add(10 * time.Second); ; {
		cpu, err := ReadCPU(os.Getpid())
		if err != nil {
			t.Fatal(err)
		}
		if cpu > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("ReadCPU stayed 0 through 10 s of spinning")
		}
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
