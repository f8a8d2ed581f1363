// SPDX-License-Identifier: MIT
// The Go peer of the proxy benchmark (bench/bulk.c): for each connection,
// dials the upstream and copies both ways with io.Copy. Run with
// GOMAXPROCS=1 for the one-loop comparison.
//
//	go_proxy --port N --upstream HOST:PORT
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"syscall"
)

func pipe(dst, src net.Conn, done chan struct{}) {
	io.Copy(dst, src)
	if t, ok := dst.(*net.TCPConn); ok {
		t.CloseWrite()
	}
	done <- struct{}{}
}

func main() {
	port := flag.Int("port", 8888, "port on 127.0.0.1")
	upstream := flag.String("upstream", "127.0.0.1:8080", "HOST:PORT")
	flag.Parse()
	l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", *port))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("listening on %s\n", l.Addr())
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func(c net.Conn) {
				u, err := net.Dial("tcp", *upstream)
				if err != nil {
					c.Close()
					return
				}
				done := make(chan struct{}, 2)
				go pipe(u, c, done)
				go pipe(c, u, done)
				<-done
				<-done
				c.Close()
				u.Close()
			}(c)
		}
	}()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	<-sig
}
