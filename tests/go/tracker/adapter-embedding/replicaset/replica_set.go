// Package replicaset mimics pkg/controller/replicaset/replica_set.go (v1.28): NewBaseController
// registers the ReplicaSet handlers on the informer it is given (151) and writes status through
// the clientset it is given (725 -> replica_set_utils.go:67). NewReplicaSetController passes the
// real ReplicaSet informer and clientset; the replication manager passes adapters.
package replicaset

import (
	"context"
	"fmt"

	apps "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	appsinformers "k8s.io/client-go/informers/apps/v1"
	clientset "k8s.io/client-go/kubernetes"
	appslisters "k8s.io/client-go/listers/apps/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"

	"example.com/adapter-embedding/controller"
)

// ReplicaSetController syncs ReplicaSets (and, through adapters, ReplicationControllers).
type ReplicaSetController struct {
	schema.GroupVersionKind
	kubeClient  clientset.Interface
	podControl  controller.PodControlInterface
	rsLister    appslisters.ReplicaSetLister
	syncHandler func(ctx context.Context, rsKey string) error
	queue       workqueue.RateLimitingInterface
}

// NewReplicaSetController builds the ReplicaSet controller.
func NewReplicaSetController(rsInformer appsinformers.ReplicaSetInformer, kubeClient clientset.Interface) *ReplicaSetController {
	return NewBaseController(rsInformer, kubeClient, apps.SchemeGroupVersion.WithKind("ReplicaSet"), "replicaset",
		controller.RealPodControl{KubeClient: kubeClient})
}

// NewBaseController is the body shared with the replication manager.
func NewBaseController(rsInformer appsinformers.ReplicaSetInformer, kubeClient clientset.Interface, gvk schema.GroupVersionKind, queueName string, podControl controller.PodControlInterface) *ReplicaSetController {
	rsc := &ReplicaSetController{
		GroupVersionKind: gvk,
		kubeClient:       kubeClient,
		podControl:       podControl,
		queue:            workqueue.NewNamedRateLimitingQueue(workqueue.DefaultControllerRateLimiter(), queueName),
	}
	rsInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj interface{}) {
			rsc.addRS(obj)
		},
	})
	rsc.rsLister = rsInformer.Lister()
	rsc.syncHandler = rsc.syncReplicaSet
	return rsc
}

// Run starts the workers.
func (rsc *ReplicaSetController) Run(ctx context.Context, workers int) {
	defer rsc.queue.ShutDown()
	for i := 0; i < workers; i++ {
		go wait.UntilWithContext(ctx, rsc.worker, 0)
	}
	<-ctx.Done()
}

func (rsc *ReplicaSetController) addRS(obj interface{}) {
	rs := obj.(*apps.ReplicaSet)
	key, err := cache.MetaNamespaceKeyFunc(rs)
	if err != nil {
		utilruntime.HandleError(fmt.Errorf("couldn't get key for object %#v: %v", rs, err))
		return
	}
	rsc.queue.Add(key)
}

func (rsc *ReplicaSetController) worker(ctx context.Context) {
	for rsc.processNextWorkItem(ctx) {
	}
}

func (rsc *ReplicaSetController) processNextWorkItem(ctx context.Context) bool {
	key, quit := rsc.queue.Get()
	if quit {
		return false
	}
	defer rsc.queue.Done(key)
	if err := rsc.syncHandler(ctx, key.(string)); err != nil {
		rsc.queue.AddRateLimited(key)
		return true
	}
	rsc.queue.Forget(key)
	return true
}

func (rsc *ReplicaSetController) syncReplicaSet(ctx context.Context, key string) error {
	namespace, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return err
	}
	rs, err := rsc.rsLister.ReplicaSets(namespace).Get(name)
	if err != nil {
		return err
	}
	ref := metav1.NewControllerRef(rs, rsc.GroupVersionKind)
	if err := rsc.podControl.CreatePods(ctx, rs.Namespace, &rs.Spec.Template, rs, ref); err != nil {
		return err
	}
	newStatus := rs.Status
	newStatus.ObservedGeneration = rs.Generation
	rs = rs.DeepCopy()
	rs.Status = newStatus
	_, err = rsc.kubeClient.AppsV1().ReplicaSets(namespace).UpdateStatus(ctx, rs, metav1.UpdateOptions{})
	return err
}
