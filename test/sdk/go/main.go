// posthog-go driver for the SDK acceptance suite.
//
// Reads one JSON document on stdin:
//
//	{"host": ..., "token": ..., "scenarios": [ScenarioPlan, ...]}
//
// (ScenarioPlan as in test/sdk/harness/plan.ts), runs each scenario with a
// fresh client (Enqueue every operation, then Close, which flushes and waits),
// and prints {"version": ..., "scenarios": [{"name", "run_id", "errors"}]}.
// The SDK is used unmodified; failures come from its Callback.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/posthog/posthog-go"
)

type operation struct {
	Op         string                 `json:"op"`
	Event      string                 `json:"event"`
	DistinctID string                 `json:"distinct_id"`
	Properties map[string]interface{} `json:"properties"`
	UUID       string                 `json:"uuid"`
	Timestamp  string                 `json:"timestamp"`
	Groups     map[string]string      `json:"groups"`
	Set        map[string]interface{} `json:"set"`
	SetOnce    map[string]interface{} `json:"set_once"`
	Alias      string                 `json:"alias"`
	GroupType  string                 `json:"group_type"`
	GroupKey   string                 `json:"group_key"`
}

type plan struct {
	Name   string `json:"name"`
	RunID  string `json:"run_id"`
	Client struct {
		Gzip                bool `json:"gzip"`
		HistoricalMigration bool `json:"historical_migration"`
	} `json:"client"`
	Operations  []operation `json:"operations"`
	ClientExtra struct {
		// RetryAfterMs replaces the SDK's backoff (100 ms × 2^n) to keep long retry runs short.
		RetryAfterMs int `json:"retry_after_ms"`
	} `json:"client_extra"`
}

type request struct {
	Host      string `json:"host"`
	Token     string `json:"token"`
	Scenarios []plan `json:"scenarios"`
}

type result struct {
	Name   string   `json:"name"`
	RunID  string   `json:"run_id"`
	Errors []string `json:"errors"`
}

// outcomes counts the SDK's delivery reports and keeps the failures (it calls
// back from its own goroutines).
type outcomes struct {
	mu       sync.Mutex
	reported int
	errors   []string
}

func (o *outcomes) Success(posthog.APIMessage) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.reported++
}

func (o *outcomes) Failure(_ posthog.APIMessage, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.reported++
	o.errors = append(o.errors, err.Error())
}

// waitFor returns once n messages have a delivery report, or at the deadline.
// Close() drops a batch whose retry is still pending, so the driver waits for
// the outcome first, as an application that cares about delivery would.
func (o *outcomes) waitFor(n int, deadline time.Time) {
	for time.Now().Before(deadline) {
		o.mu.Lock()
		done := o.reported >= n
		o.mu.Unlock()
		if done {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func message(op operation) (posthog.Message, error) {
	switch op.Op {
	case "capture":
		capture := posthog.Capture{Uuid: op.UUID, DistinctId: op.DistinctID, Event: op.Event, Properties: op.Properties}
		if op.Timestamp != "" {
			ts, err := time.Parse(time.RFC3339Nano, op.Timestamp)
			if err != nil {
				return nil, err
			}
			capture.Timestamp = ts
		}
		if op.Groups != nil {
			groups := posthog.NewGroups()
			for k, v := range op.Groups {
				groups.Set(k, v)
			}
			capture.Groups = groups
		}
		return capture, nil
	case "identify":
		// posthog-go's Identify sends the properties as top-level $set; it has no set_once.
		return posthog.Identify{DistinctId: op.DistinctID, Properties: op.Set}, nil
	case "alias":
		return posthog.Alias{DistinctId: op.DistinctID, Alias: op.Alias}, nil
	case "group_identify":
		return posthog.GroupIdentify{Type: op.GroupType, Key: op.GroupKey, Properties: op.Properties}, nil
	}
	return nil, fmt.Errorf("unknown operation %q", op.Op)
}

func run(host, token string, p plan) (result, error) {
	collected := &outcomes{}
	config := posthog.Config{
		Endpoint:            host,
		Interval:            50 * time.Millisecond,
		BatchSize:           100,
		HistoricalMigration: p.Client.HistoricalMigration,
		Callback:            collected,
	}
	if p.ClientExtra.RetryAfterMs > 0 {
		delay := time.Duration(p.ClientExtra.RetryAfterMs) * time.Millisecond
		config.RetryAfter = func(int) time.Duration { return delay }
	}
	client, err := posthog.NewWithConfig(token, config)
	if err != nil {
		return result{}, err
	}
	for _, op := range p.Operations {
		msg, err := message(op)
		if err != nil {
			return result{}, err
		}
		if err := client.Enqueue(msg); err != nil {
			return result{}, fmt.Errorf("enqueue %s: %w", op.Op, err)
		}
	}
	collected.waitFor(len(p.Operations), time.Now().Add(60*time.Second))
	if err := client.Close(); err != nil {
		return result{}, err
	}
	collected.mu.Lock()
	defer collected.mu.Unlock()
	return result{Name: p.Name, RunID: p.RunID, Errors: append([]string{}, collected.errors...)}, nil
}

func main() {
	var req request
	if err := json.NewDecoder(os.Stdin).Decode(&req); err != nil {
		fmt.Fprintln(os.Stderr, "reading request:", err)
		os.Exit(2)
	}
	results := []result{}
	for _, p := range req.Scenarios {
		r, err := run(req.Host, req.Token, p)
		if err != nil {
			fmt.Fprintf(os.Stderr, "scenario %s: %v\n", p.Name, err)
			os.Exit(1)
		}
		results = append(results, r)
	}
	out := map[string]interface{}{"version": posthog.Version, "scenarios": results}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		os.Exit(1)
	}
}
