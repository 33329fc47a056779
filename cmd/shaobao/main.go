// Command shaobao is the whole product in one binary: `dev` runs everything
// in one process with an embedded Temporal server and SQLite; `serve` is the
// production shape against a Temporal cluster and PostgreSQL.
package main

import (
	"fmt"
	"os"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "shaobao:", err)
		os.Exit(1)
	}
}
