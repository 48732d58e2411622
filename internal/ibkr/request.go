package ibkr

import (
	"context"
	"fmt"
	"sync"

	"github.com/wealthalloc/wealthalloc/internal/ibkr/wire"
)

// request is one call waiting for the Gateway's answer. handle, tick and
// info run on the reader goroutine; the caller reads what they collected
// only after done is closed.
type request struct {
	name string
	id   int64 // request id; 0 for singletons
	key  string

	handle func(m wire.Msg) bool                       // true when the answer is complete
	tick   func(field int, price, size wire.Number)    // market data
	info   func(e *APIError)                           // informational errors carrying this id
	fail   func(e *APIError) (handled bool, done bool) // optional: decide about a failure

	once sync.Once
	done chan struct{}
	err  error
}

func newRequest(name string) *request { return &request{name: name, done: make(chan struct{})} }

func (r *request) finish(err error) {
	r.once.Do(func() {
		r.err = err
		close(r.done)
	})
}

// reqCtx bounds ctx by Config.RequestTimeout.
func (c *Client) reqCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, c.cfg.RequestTimeout)
}

func (c *Client) stepErr(name string, err error) error {
	return &StepError{Step: "request " + name, Addr: c.cfg.Addr, Err: err}
}

// run registers r (under its id, or as the singleton key), sends the frame
// built for its id, and waits for the answer, the deadline or a drop. On a
// deadline cancel (if not nil) is sent so the Gateway stops working on it.
func (c *Client) run(ctx context.Context, r *request, build func(id int64) ([]byte, error), cancel func(id int64) ([]byte, error)) error {
	ctx, stop := c.reqCtx(ctx)
	defer stop()
	cn, err := c.current(ctx)
	if err != nil {
		return c.stepErr(r.name, err)
	}
	if r.key == "" && r.id == 0 {
		r.id = c.nextID()
	}
	frame, err := build(r.id)
	if err != nil {
		return err
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return ErrClosed
	}
	if cn.dropped {
		// Dropped since current(): failAll has run or will not see this
		// request, so fail it now rather than at the deadline.
		err := cn.dropErr
		c.mu.Unlock()
		return c.stepErr(r.name, err)
	}
	if r.key != "" {
		c.singles[r.key] = r
	} else {
		c.reqs[r.id] = r
	}
	c.mu.Unlock()
	unregister := func() {
		c.mu.Lock()
		if r.key != "" {
			if c.singles[r.key] == r {
				delete(c.singles, r.key)
			}
		} else if c.reqs[r.id] == r {
			delete(c.reqs, r.id)
		}
		c.mu.Unlock()
	}
	if err := c.write(ctx, cn, frame); err != nil {
		unregister()
		return c.stepErr(r.name, err)
	}
	select {
	case <-r.done:
		unregister()
		if r.err != nil {
			if _, ok := r.err.(*APIError); ok {
				return r.err
			}
			return c.stepErr(r.name, r.err)
		}
		return nil
	case <-ctx.Done():
		unregister()
		r.finish(context.Cause(ctx))
		if cancel != nil {
			if f, err := cancel(r.id); err == nil {
				c.sendQuiet(f, "cancel "+r.name)
			}
		}
		err := context.Cause(ctx)
		if err == context.DeadlineExceeded {
			err = fmt.Errorf("no answer: %w", err)
		}
		return c.stepErr(r.name, err)
	}
}

// acquire takes a one-at-a-time slot, respecting ctx.
func acquire(ctx context.Context, sem chan struct{}) error {
	select {
	case sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}
