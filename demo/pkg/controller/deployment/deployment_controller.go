// Package deployment is a miniature Deployment controller
// (k8s.io/kubernetes/pkg/controller/deployment).
//
// Its chains, as kubetorch reports them:
//
//	deployment add/update/delete -> addDeployment / updateDeployment / deleteDeployment
//	replicaset add/update/delete -> addReplicaSet / updateReplicaSet / deleteReplicaSet
//	pod delete                   -> deletePod
//	  -> dc.enqueueDeployment (= dc.enqueue) -> dc.queue.Add(key)   writes DeploymentController.queue
//	  -> processNextWorkItem: dc.queue.Get()                        reads it
//	  -> dc.syncHandler (= syncDeployment)
//	  -> getNewReplicaSet: create apps/replicasets, and an event
//	  -> syncDeploymentStatus: update apps/deployments/status
//
// The ReplicaSet controller has a field of the same name and type (queue),
// registers on the same informers and has a processNextWorkItem too, but no
// object is shared: no chain joins one controller's handlers to the other's reader.
package deployment

import (
	"context"
	"fmt"
	"time"

	apps "k8s.io/api/apps/v1"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	appsinformers "k8s.io/client-go/informers/apps/v1"
	coreinformers "k8s.io/client-go/informers/core/v1"
	clientset "k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	v1core "k8s.io/client-go/kubernetes/typed/core/v1"
	appslisters "k8s.io/client-go/listers/apps/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"

	"example.com/controllerkit/keys"
)

// controllerKind contains the schema.GroupVersionKind for this controller type.
var controllerKind = apps.SchemeGroupVersion.WithKind("Deployment")

// DeploymentController rolls Deployments out through ReplicaSets.
type DeploymentController struct {
	client           clientset.Interface
	eventBroadcaster record.EventBroadcaster
	eventRecorder    record.EventRecorder

	// syncHandler is syncDeployment; enqueueDeployment is enqueue.
	syncHandler       func(ctx context.Context, dKey string) error
	enqueueDeployment func(deployment *apps.Deployment)

	dLister  appslisters.DeploymentLister
	rsLister appslisters.ReplicaSetLister

	// queue holds the keys of the Deployments to sync.
	queue workqueue.RateLimitingInterface
}

// NewDeploymentController registers the handlers and wires the func fields.
func NewDeploymentController(ctx context.Context, dInformer appsinformers.DeploymentInformer, rsInformer appsinformers.ReplicaSetInformer, podInformer coreinformers.PodInformer, client clientset.Interface) (*DeploymentController, error) {
	eventBroadcaster := record.NewBroadcaster()
	logger := klog.FromContext(ctx)
	dc := &DeploymentController{
		client:           client,
		eventBroadcaster: eventBroadcaster,
		eventRecorder:    eventBroadcaster.NewRecorder(scheme.Scheme, v1.EventSource{Component: "deployment-controller"}),
		queue:            workqueue.NewNamedRateLimitingQueue(workqueue.DefaultControllerRateLimiter(), "deployment"),
	}

	dInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj interface{}) {
			dc.addDeployment(logger, obj)
		},
		UpdateFunc: func(oldObj, newObj interface{}) {
			dc.updateDeployment(logger, oldObj, newObj)
		},
		// This enters the sync loop and no-ops: the deployment is gone from the lister.
		DeleteFunc: func(obj interface{}) {
			dc.deleteDeployment(logger, obj)
		},
	})
	rsInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj interface{}) {
			dc.addReplicaSet(logger, obj)
		},
		UpdateFunc: func(oldObj, newObj interface{}) {
			dc.updateReplicaSet(logger, oldObj, newObj)
		},
		DeleteFunc: func(obj interface{}) {
			dc.deleteReplicaSet(logger, obj)
		},
	})
	// Pods: delete only.
	podInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		DeleteFunc: func(obj interface{}) {
			dc.deletePod(logger, obj)
		},
	})

	dc.syncHandler = dc.syncDeployment
	dc.enqueueDeployment = dc.enqueue

	dc.dLister = dInformer.Lister()
	dc.rsLister = rsInformer.Lister()
	return dc, nil
}

// Run starts the workers and blocks until ctx is done.
func (dc *DeploymentController) Run(ctx context.Context, workers int) {
	defer utilruntime.HandleCrash()
	dc.eventBroadcaster.StartRecordingToSink(&v1core.EventSinkImpl{Interface: dc.client.CoreV1().Events("")})
	defer dc.eventBroadcaster.Shutdown()
	defer dc.queue.ShutDown()
	for i := 0; i < workers; i++ {
		go wait.UntilWithContext(ctx, dc.worker, time.Second)
	}
	<-ctx.Done()
}

func (dc *DeploymentController) worker(ctx context.Context) {
	for dc.processNextWorkItem(ctx) {
	}
}

// processNextWorkItem is where the handlers' writes to dc.queue are read.
func (dc *DeploymentController) processNextWorkItem(ctx context.Context) bool {
	key, quit := dc.queue.Get()
	if quit {
		return false
	}
	defer dc.queue.Done(key)

	if err := dc.syncHandler(ctx, key.(string)); err != nil {
		utilruntime.HandleError(fmt.Errorf("error syncing deployment %v: %v", key, err))
		dc.queue.AddRateLimited(key)
		return true
	}
	dc.queue.Forget(key)
	return true
}

func (dc *DeploymentController) enqueue(deployment *apps.Deployment) {
	key, err := keys.KeyFunc(deployment)
	if err != nil {
		utilruntime.HandleError(fmt.Errorf("couldn't get key for object %#v: %v", deployment, err))
		return
	}
	dc.queue.Add(key)
}

func (dc *DeploymentController) addDeployment(logger klog.Logger, obj interface{}) {
	d := obj.(*apps.Deployment)
	logger.V(4).Info("Adding deployment", "deployment", klog.KObj(d))
	dc.enqueueDeployment(d)
}

func (dc *DeploymentController) updateDeployment(logger klog.Logger, old, cur interface{}) {
	oldD := old.(*apps.Deployment)
	curD := cur.(*apps.Deployment)
	logger.V(4).Info("Updating deployment", "deployment", klog.KObj(oldD))
	dc.enqueueDeployment(curD)
}

func (dc *DeploymentController) deleteDeployment(logger klog.Logger, obj interface{}) {
	d, ok := obj.(*apps.Deployment)
	if !ok {
		tombstone, ok := obj.(cache.DeletedFinalStateUnknown)
		if !ok {
			return
		}
		if d, ok = tombstone.Obj.(*apps.Deployment); !ok {
			return
		}
	}
	logger.V(4).Info("Deleting deployment", "deployment", klog.KObj(d))
	dc.enqueueDeployment(d)
}

// resolveControllerRef returns the Deployment that owns a ReplicaSet, from the lister.
func (dc *DeploymentController) resolveControllerRef(namespace string, controllerRef *metav1.OwnerReference) *apps.Deployment {
	if controllerRef.Kind != controllerKind.Kind {
		return nil
	}
	d, err := dc.dLister.Deployments(namespace).Get(controllerRef.Name)
	if err != nil || d.UID != controllerRef.UID {
		return nil
	}
	return d
}

func (dc *DeploymentController) addReplicaSet(logger klog.Logger, obj interface{}) {
	rs := obj.(*apps.ReplicaSet)
	if rs.DeletionTimestamp != nil {
		dc.deleteReplicaSet(logger, rs)
		return
	}
	if controllerRef := metav1.GetControllerOf(rs); controllerRef != nil {
		if d := dc.resolveControllerRef(rs.Namespace, controllerRef); d != nil {
			logger.V(4).Info("ReplicaSet added", "replicaSet", klog.KObj(rs))
			dc.enqueueDeployment(d)
		}
	}
}

func (dc *DeploymentController) updateReplicaSet(logger klog.Logger, old, cur interface{}) {
	curRS := cur.(*apps.ReplicaSet)
	oldRS := old.(*apps.ReplicaSet)
	if curRS.ResourceVersion == oldRS.ResourceVersion {
		return
	}
	if controllerRef := metav1.GetControllerOf(curRS); controllerRef != nil {
		if d := dc.resolveControllerRef(curRS.Namespace, controllerRef); d != nil {
			dc.enqueueDeployment(d)
		}
	}
}

func (dc *DeploymentController) deleteReplicaSet(logger klog.Logger, obj interface{}) {
	rs, ok := obj.(*apps.ReplicaSet)
	if !ok {
		tombstone, ok := obj.(cache.DeletedFinalStateUnknown)
		if !ok {
			return
		}
		if rs, ok = tombstone.Obj.(*apps.ReplicaSet); !ok {
			return
		}
	}
	if controllerRef := metav1.GetControllerOf(rs); controllerRef != nil {
		if d := dc.resolveControllerRef(rs.Namespace, controllerRef); d != nil {
			logger.V(4).Info("ReplicaSet deleted", "replicaSet", klog.KObj(rs))
			dc.enqueueDeployment(d)
		}
	}
}

// deletePod requeues a Recreate deployment when one of its pods goes away.
func (dc *DeploymentController) deletePod(logger klog.Logger, obj interface{}) {
	pod, ok := obj.(*v1.Pod)
	if !ok {
		tombstone, ok := obj.(cache.DeletedFinalStateUnknown)
		if !ok {
			return
		}
		if pod, ok = tombstone.Obj.(*v1.Pod); !ok {
			return
		}
	}
	controllerRef := metav1.GetControllerOf(pod)
	if controllerRef == nil || controllerRef.Kind != "ReplicaSet" {
		return
	}
	rs, err := dc.rsLister.ReplicaSets(pod.Namespace).Get(controllerRef.Name)
	if err != nil {
		return
	}
	rsRef := metav1.GetControllerOf(rs)
	if rsRef == nil {
		return
	}
	d := dc.resolveControllerRef(rs.Namespace, rsRef)
	if d != nil && d.Spec.Strategy.Type == apps.RecreateDeploymentStrategyType {
		logger.V(4).Info("Pod deleted", "pod", klog.KObj(pod))
		dc.enqueueDeployment(d)
	}
}
