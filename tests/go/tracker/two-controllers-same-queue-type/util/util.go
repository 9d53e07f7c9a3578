// Package util is shared by both controllers: a key-and-enqueue helper that takes the queue
// as a parameter, and an expectations type backed by an internal cache.Store (the shape of
// pkg/controller/controller_utils.go ControllerExpectations). Each controller owns its own
// queue and its own Expectations instance.
package util

import (
	"fmt"
	"sync/atomic"

	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
)

// Enqueue adds the key of obj to queue.
func Enqueue(queue workqueue.Interface, obj interface{}) {
	key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj)
	if err != nil {
		utilruntime.HandleError(fmt.Errorf("couldn't get key for object %+v: %v", obj, err))
		return
	}
	queue.Add(key)
}

type expectation struct {
	key     string
	pending int64
}

func expectationKeyFunc(obj interface{}) (string, error) {
	if e, ok := obj.(*expectation); ok {
		return e.key, nil
	}
	return "", fmt.Errorf("could not find key for obj %#v", obj)
}

// Expectations tracks the writes a controller is still waiting to observe.
type Expectations struct {
	store cache.Store
}

func NewExpectations() *Expectations {
	return &Expectations{store: cache.NewStore(expectationKeyFunc)}
}

// Expect records that n writes for key are in flight.
func (e *Expectations) Expect(key string, n int64) {
	_ = e.store.Add(&expectation{key: key, pending: n})
}

// Observed records that one write for key was seen by an informer.
func (e *Expectations) Observed(key string) {
	if obj, exists, err := e.store.GetByKey(key); err == nil && exists {
		atomic.AddInt64(&obj.(*expectation).pending, -1)
	}
}

// Satisfied reports whether all expected writes for key were observed.
func (e *Expectations) Satisfied(key string) bool {
	obj, exists, err := e.store.GetByKey(key)
	if err != nil || !exists {
		return true
	}
	return atomic.LoadInt64(&obj.(*expectation).pending) <= 0
}
