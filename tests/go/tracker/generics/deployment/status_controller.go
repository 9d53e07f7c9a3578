// Package deployment: a deployment status controller whose work queue is the in-tree generic
// queue.Queue[string]; the handler Adds, processNextWorkItem Pops and the sync writes
// apps/deployments/status (as progress.go does with UpdateStatus).
package deployment

import (
	"context"
	"time"

	apps "k8s.io/api/apps/v1"
	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	appsinformers "k8s.io/client-go/informers/apps/v1"
	coreinformers "k8s.io/client-go/informers/core/v1"
	clientset "k8s.io/client-go/kubernetes"
	appslisters "k8s.io/client-go/listers/apps/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"

	"example.com/generics/queue"
)

type StatusController struct {
	client    clientset.Interface
	dLister   appslisters.DeploymentLister
	podLister corelisters.PodLister
	queue     *queue.Queue[string]
}

func NewStatusController(dInformer appsinformers.DeploymentInformer, podInformer coreinformers.PodInformer, client clientset.Interface) *StatusController {
	c := &StatusController{
		client: client,
		queue:  queue.New[string](),
	}
	dInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    c.addDeployment,
		UpdateFunc: c.updateDeployment,
	})
	c.dLister = dInformer.Lister()
	c.podLister = podInformer.Lister()
	return c
}

func (c *StatusController) Run(ctx context.Context) {
	defer utilruntime.HandleCrash()
	defer c.queue.ShutDown()
	go wait.UntilWithContext(ctx, c.worker, time.Second)
	<-ctx.Done()
}

func (c *StatusController) addDeployment(obj interface{}) {
	c.enqueue(obj.(*apps.Deployment))
}

func (c *StatusController) updateDeployment(old, cur interface{}) {
	oldD, curD := old.(*apps.Deployment), cur.(*apps.Deployment)
	if oldD.Generation == curD.Generation {
		return
	}
	c.enqueue(curD)
}

func (c *StatusController) enqueue(d *apps.Deployment) {
	key, err := cache.MetaNamespaceKeyFunc(d)
	if err != nil {
		utilruntime.HandleError(err)
		return
	}
	c.queue.Add(key)
}

func (c *StatusController) worker(ctx context.Context) {
	for c.processNextWorkItem(ctx) {
	}
}

func (c *StatusController) processNextWorkItem(ctx context.Context) bool {
	key := c.queue.Pop()
	if key == "" {
		return false
	}
	if err := c.syncDeployment(ctx, key); err != nil {
		utilruntime.HandleError(err)
		c.queue.Add(key)
	}
	return true
}

func (c *StatusController) syncDeployment(ctx context.Context, key string) error {
	namespace, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return err
	}
	d, err := c.dLister.Deployments(namespace).Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	selector, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	if err != nil {
		return err
	}
	pods, err := c.podLister.Pods(d.Namespace).List(selector)
	if err != nil {
		return err
	}
	ready := queue.Filter(pods, func(p *v1.Pod) bool {
		return p.Status.Phase == v1.PodRunning
	})
	newD := d.DeepCopy()
	newD.Status.ObservedGeneration = d.Generation
	newD.Status.Replicas = int32(len(pods))
	newD.Status.ReadyReplicas = int32(len(ready))
	_, err = c.client.AppsV1().Deployments(newD.Namespace).UpdateStatus(ctx, newD, metav1.UpdateOptions{})
	return err
}
