// Package servicecleaner deletes expired Services. Same struct name, same queue type, same
// method names and the same util helpers as podcreator, but its own state.
package servicecleaner

import (
	"context"
	"time"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	coreinformers "k8s.io/client-go/informers/core/v1"
	clientset "k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"

	"example.com/two-controllers-same-queue-type/util"
)

const expiresAnnotation = "example.com/expires"

type Controller struct {
	kubeClient    clientset.Interface
	serviceLister corelisters.ServiceLister
	expectations  *util.Expectations
	queue         workqueue.RateLimitingInterface
}

func NewController(serviceInformer coreinformers.ServiceInformer, kubeClient clientset.Interface) *Controller {
	c := &Controller{
		kubeClient:   kubeClient,
		expectations: util.NewExpectations(),
		queue:        workqueue.NewNamedRateLimitingQueue(workqueue.DefaultControllerRateLimiter(), "servicecleaner"),
	}
	serviceInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.addService,
		UpdateFunc: c.updateService,
	})
	c.serviceLister = serviceInformer.Lister()
	return c
}

func (c *Controller) Run(ctx context.Context) {
	defer c.queue.ShutDown()
	go wait.UntilWithContext(ctx, c.worker, time.Second)
	<-ctx.Done()
}

func (c *Controller) addService(obj interface{}) {
	util.Enqueue(c.queue, obj)
}

func (c *Controller) updateService(old, cur interface{}) {
	svc := cur.(*v1.Service)
	c.expectations.Observed(svc.Namespace + "/" + svc.Name)
	util.Enqueue(c.queue, cur)
}

func (c *Controller) worker(ctx context.Context) {
	for c.processNextWorkItem(ctx) {
	}
}

func (c *Controller) processNextWorkItem(ctx context.Context) bool {
	key, quit := c.queue.Get()
	if quit {
		return false
	}
	defer c.queue.Done(key)
	if err := c.sync(ctx, key.(string)); err != nil {
		c.queue.AddRateLimited(key)
		return true
	}
	c.queue.Forget(key)
	return true
}

func (c *Controller) sync(ctx context.Context, key string) error {
	namespace, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return err
	}
	svc, err := c.serviceLister.Services(namespace).Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	expires, err := time.Parse(time.RFC3339, svc.Annotations[expiresAnnotation])
	if err != nil || time.Now().Before(expires) {
		return nil
	}
	if !c.expectations.Satisfied(key) {
		return nil
	}
	c.expectations.Expect(key, 1)
	return c.kubeClient.CoreV1().Services(svc.Namespace).Delete(ctx, svc.Name, metav1.DeleteOptions{})
}
