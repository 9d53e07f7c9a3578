// Package controller is a controller for a custom resource with a generated clientset, in the
// layout of staging/src/k8s.io/sample-controller/controller.go: widget events are queued, and
// the worker creates the widget's Chassis and updates the widget's status.
package controller

import (
	"context"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"

	widgetsv1 "example.com/api-group-from-package/pkg/apis/widgets/v1"
	clientset "example.com/api-group-from-package/pkg/generated/clientset/versioned"
	informers "example.com/api-group-from-package/pkg/generated/informers/externalversions/widgets/v1"
	listers "example.com/api-group-from-package/pkg/generated/listers/widgets/v1"
)

// Controller reconciles Widgets.
type Controller struct {
	widgetsClient clientset.Interface
	widgetsLister listers.WidgetLister
	workqueue     workqueue.RateLimitingInterface
}

// NewController registers the widget handler.
func NewController(widgetsClient clientset.Interface, widgetInformer informers.WidgetInformer) *Controller {
	c := &Controller{
		widgetsClient: widgetsClient,
		widgetsLister: widgetInformer.Lister(),
		workqueue:     workqueue.NewNamedRateLimitingQueue(workqueue.DefaultControllerRateLimiter(), "Widgets"),
	}
	widgetInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: c.enqueueWidget,
	})
	return c
}

// Run starts the worker.
func (c *Controller) Run(ctx context.Context) {
	go wait.UntilWithContext(ctx, c.runWorker, time.Second)
	<-ctx.Done()
}

func (c *Controller) enqueueWidget(obj interface{}) {
	key, err := cache.MetaNamespaceKeyFunc(obj)
	if err != nil {
		return
	}
	c.workqueue.Add(key)
}

func (c *Controller) runWorker(ctx context.Context) {
	obj, shutdown := c.workqueue.Get()
	if shutdown {
		return
	}
	defer c.workqueue.Done(obj)
	c.syncHandler(ctx, obj.(string))
}

func (c *Controller) syncHandler(ctx context.Context, key string) error {
	namespace, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return err
	}
	widget, err := c.widgetsLister.Widgets(namespace).Get(name)
	if err != nil {
		return err
	}
	chassis := &widgetsv1.Chassis{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: widget.Spec.ChassisName}}
	if _, err := c.widgetsClient.WidgetsV1().Chassis(namespace).Create(ctx, chassis, metav1.CreateOptions{}); err != nil {
		return err
	}
	widgetCopy := widget.DeepCopy()
	widgetCopy.Status.Ready = true
	_, err = c.widgetsClient.WidgetsV1().Widgets(namespace).UpdateStatus(ctx, widgetCopy, metav1.UpdateOptions{})
	return err
}
