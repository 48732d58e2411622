// Package wire is the TWS API socket protocol at server version 178: the
// handshake, length-prefixed frames of NUL-terminated ASCII fields, and one
// table of message layouts (Layouts) that the client's encoder and decoder
// and the gateway simulator all read, so the two ends cannot drift apart.
//
// The layouts follow reference/ibkr.md §2.3. Nothing here knows about
// sockets beyond io.Reader/io.Writer, nor about the domain.
package wire
