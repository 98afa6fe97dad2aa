// httpd-go - Go's net/http answering what examples/httpd.c answers: GET /
// (and HEAD /) "hello\n" as text/plain, 404 elsewhere. The Go peer in
// bench/httpd.sh: one goroutine per connection, on GOMAXPROCS threads
// (the machine's CPUs by default), its I/O on the runtime's netpoller.
//
// Usage: httpd-go [port]   (0, the default: a free port). Prints
// "httpd-go: listening on 127.0.0.1:<port>" once it accepts.
// Standard library only: it builds with no network (GOPROXY=off).
package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
)

func main() {
	port := "0"
	if len(os.Args) > 1 {
		port = os.Args[1]
	}
	ln, err := net.Listen("tcp", "127.0.0.1:"+port)
	if err != nil {
		fmt.Fprintln(os.Stderr, "httpd-go:", err)
		os.Exit(1)
	}
	hello := []byte("hello\n")
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		w.Write(hello)
	})
	fmt.Printf("httpd-go: listening on %s\n", ln.Addr()) // os.Stdout is unbuffered
	fmt.Fprintln(os.Stderr, "httpd-go:", http.Serve(ln, nil))
	os.Exit(1)
}
