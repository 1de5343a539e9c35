package sim_test

import (
	"fmt"
	"time"

	"github.com/regionsim/regionsim/sim"
)

// pinger sends a ping to a peer every 100 ms until a timeout fires.
type pinger struct {
	e       *sim.Engine
	id      sim.HandlerID
	pings   int
	timeout sim.TimerID
}

const (
	kindPing sim.Kind = iota
	kindTimeout
)

func (p *pinger) Handle(ev *sim.Event) {
	switch ev.Kind {
	case kindPing:
		p.pings++
		fmt.Printf("%v ping %d\n", ev.At, ev.Arg)
		p.e.After(100*time.Millisecond, p.id, kindPing, ev.Arg+1)
	case kindTimeout:
		fmt.Printf("%v timeout after %d pings\n", ev.At, p.pings)
		p.e.Stop()
	}
}

func Example() {
	e := sim.NewEngine()
	p := &pinger{e: e}
	p.id = e.Register(p)
	e.Schedule(0, p.id, kindPing, 1)
	p.timeout = e.TimerAfter(250*time.Millisecond, p.id, kindTimeout, 0)
	e.Run()
	fmt.Println("cancel after firing:", e.Cancel(p.timeout))
	// Output:
	// 0s ping 1
	// 100ms ping 2
	// 200ms ping 3
	// 250ms timeout after 3 pings
	// cancel after firing: false
}

func ExampleNewRand() {
	const seed = 1
	net := sim.NewRand(seed, sim.StreamID("network", 0))
	again := sim.NewRand(seed, sim.StreamID("network", 0))
	fmt.Println(net.Uint64() == again.Uint64())
	// Output: true
}
