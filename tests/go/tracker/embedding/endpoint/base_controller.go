package endpoint

import (
	"context"
	"fmt"
	"time"

	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
)

// baseController owns the work queue and the worker loop. Controllers embed *baseController
// and get enqueue, Run, worker and processNextWorkItem as promoted methods; they plug their
// sync function into the embedded syncHandler field.
type baseController struct {
	name        string
	queue       workqueue.RateLimitingInterface
	syncHandler func(ctx context.Context, key string) error
}

func newBaseController(name string) *baseController {
	return &baseController{
		name:  name,
		queue: workqueue.NewNamedRateLimitingQueue(workqueue.DefaultControllerRateLimiter(), name),
	}
}

func (b *baseController) enqueue(obj interface{}) {
	key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj)
	if err != nil {
		utilruntime.HandleError(fmt.Errorf("couldn't get key for object %+v: %v", obj, err))
		return
	}
	b.queue.Add(key)
}

func (b *baseController) Run(ctx context.Context, workers int) {
	defer utilruntime.HandleCrash()
	defer b.queue.ShutDown()
	for i := 0; i < workers; i++ {
		go wait.UntilWithContext(ctx, b.worker, time.Second)
	}
	<-ctx.Done()
}

func (b *baseController) worker(ctx context.Context) {
	for b.processNextWorkItem(ctx) {
	}
}

func (b *baseController) processNextWorkItem(ctx context.Context) bool {
	key, quit := b.queue.Get()
	if quit {
		return false
	}
	defer b.queue.Done(key)

	if err := b.syncHandler(ctx, key.(string)); err != nil {
		utilruntime.HandleError(fmt.Errorf("%s: error syncing %q: %v", b.name, key, err))
		b.queue.AddRateLimited(key)
		return true
	}
	b.queue.Forget(key)
	return true
}
