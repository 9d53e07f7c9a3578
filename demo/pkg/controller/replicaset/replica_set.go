// Package replicaset is a miniature ReplicaSet controller
// (k8s.io/kubernetes/pkg/controller/replicaset).
//
// Its chains, as kubetorch reports them:
//
//	replicaset add/update/delete -> addRS / updateRS / deleteRS
//	pod add/update/delete        -> addPod / updatePod / deletePod
//	  -> rsc.queue.Add(key)                       writes ReplicaSetController.queue
//	  -> processNextWorkItem: rsc.queue.Get()     reads it
//	  -> rsc.syncHandler (= syncReplicaSet) -> manageReplicas
//	  -> rsc.podControl (the RealPodControl the constructor wired in):
//	     create pods, delete pods, and their events
//	  -> updateReplicaSetStatus: update apps/replicasets/status
package replicaset

import (
	"context"
	"fmt"
	"sync"
	"time"

	apps "k8s.io/api/apps/v1"
	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	appsinformers "k8s.io/client-go/informers/apps/v1"
	coreinformers "k8s.io/client-go/informers/core/v1"
	clientset "k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	v1core "k8s.io/client-go/kubernetes/typed/core/v1"
	appslisters "k8s.io/client-go/listers/apps/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"

	"example.com/controllerkit/keys"
	"example.com/kubedemo/pkg/controller"
)

// ReplicaSetController keeps the number of pods of each ReplicaSet at spec.replicas.
type ReplicaSetController struct {
	schema.GroupVersionKind

	kubeClient       clientset.Interface
	podControl       controller.PodControlInterface
	eventBroadcaster record.EventBroadcaster

	// syncHandler is syncReplicaSet; a field so that tests can replace it.
	syncHandler func(ctx context.Context, rsKey string) error

	rsLister  appslisters.ReplicaSetLister
	podLister corelisters.PodLister

	// queue holds the keys of the ReplicaSets to sync.
	queue workqueue.RateLimitingInterface
}

// NewReplicaSetController wires the production pod control into the controller.
func NewReplicaSetController(logger klog.Logger, rsInformer appsinformers.ReplicaSetInformer, podInformer coreinformers.PodInformer, kubeClient clientset.Interface) *ReplicaSetController {
	eventBroadcaster := record.NewBroadcaster()
	return NewBaseController(logger, rsInformer, podInformer, kubeClient,
		apps.SchemeGroupVersion.WithKind("ReplicaSet"),
		controller.RealPodControl{
			KubeClient: kubeClient,
			Recorder:   eventBroadcaster.NewRecorder(scheme.Scheme, v1.EventSource{Component: "replicaset-controller"}),
		},
		eventBroadcaster,
	)
}

// NewBaseController registers the handlers; podControl arrives as a parameter.
func NewBaseController(logger klog.Logger, rsInformer appsinformers.ReplicaSetInformer, podInformer coreinformers.PodInformer, kubeClient clientset.Interface,
	gvk schema.GroupVersionKind, podControl controller.PodControlInterface, eventBroadcaster record.EventBroadcaster) *ReplicaSetController {
	rsc := &ReplicaSetController{
		GroupVersionKind: gvk,
		kubeClient:       kubeClient,
		podControl:       podControl,
		eventBroadcaster: eventBroadcaster,
		queue:            workqueue.NewNamedRateLimitingQueue(workqueue.DefaultControllerRateLimiter(), "replicaset"),
	}

	// Each literal only forwards to a method: kubetorch names the method as the handler.
	rsInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj interface{}) {
			rsc.addRS(logger, obj)
		},
		UpdateFunc: func(oldObj, newObj interface{}) {
			rsc.updateRS(logger, oldObj, newObj)
		},
		DeleteFunc: func(obj interface{}) {
			rsc.deleteRS(logger, obj)
		},
	})
	rsc.rsLister = rsInformer.Lister()

	podInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj interface{}) {
			rsc.addPod(logger, obj)
		},
		UpdateFunc: func(oldObj, newObj interface{}) {
			rsc.updatePod(logger, oldObj, newObj)
		},
		DeleteFunc: func(obj interface{}) {
			rsc.deletePod(logger, obj)
		},
	})
	rsc.podLister = podInformer.Lister()

	rsc.syncHandler = rsc.syncReplicaSet
	return rsc
}

// Run starts the workers and blocks until ctx is done.
func (rsc *ReplicaSetController) Run(ctx context.Context, workers int) {
	defer utilruntime.HandleCrash()
	rsc.eventBroadcaster.StartRecordingToSink(&v1core.EventSinkImpl{Interface: rsc.kubeClient.CoreV1().Events("")})
	defer rsc.eventBroadcaster.Shutdown()
	defer rsc.queue.ShutDown()
	for i := 0; i < workers; i++ {
		go wait.UntilWithContext(ctx, rsc.worker, time.Second)
	}
	<-ctx.Done()
}

func (rsc *ReplicaSetController) worker(ctx context.Context) {
	for rsc.processNextWorkItem(ctx) {
	}
}

// processNextWorkItem is where the handlers' writes to rsc.queue are read.
func (rsc *ReplicaSetController) processNextWorkItem(ctx context.Context) bool {
	key, quit := rsc.queue.Get()
	if quit {
		return false
	}
	defer rsc.queue.Done(key)

	err := rsc.syncHandler(ctx, key.(string))
	if err == nil {
		rsc.queue.Forget(key)
		return true
	}
	utilruntime.HandleError(fmt.Errorf("sync %q failed with %v", key, err))
	rsc.queue.AddRateLimited(key)
	return true
}

func (rsc *ReplicaSetController) enqueueRS(rs *apps.ReplicaSet) {
	key, err := keys.KeyFunc(rs)
	if err != nil {
		utilruntime.HandleError(fmt.Errorf("couldn't get key for object %#v: %v", rs, err))
		return
	}
	rsc.queue.Add(key)
}

func (rsc *ReplicaSetController) addRS(logger klog.Logger, obj interface{}) {
	rs := obj.(*apps.ReplicaSet)
	logger.V(4).Info("Adding", "replicaSet", klog.KObj(rs))
	rsc.enqueueRS(rs)
}

func (rsc *ReplicaSetController) updateRS(logger klog.Logger, old, cur interface{}) {
	oldRS := old.(*apps.ReplicaSet)
	curRS := cur.(*apps.ReplicaSet)
	logger.V(4).Info("Updating", "replicaSet", klog.KObj(oldRS))
	rsc.enqueueRS(curRS)
}

func (rsc *ReplicaSetController) deleteRS(logger klog.Logger, obj interface{}) {
	rs, ok := obj.(*apps.ReplicaSet)
	if !ok {
		tombstone, ok := obj.(cache.DeletedFinalStateUnknown)
		if !ok {
			utilruntime.HandleError(fmt.Errorf("couldn't get object from tombstone %#v", obj))
			return
		}
		rs, ok = tombstone.Obj.(*apps.ReplicaSet)
		if !ok {
			utilruntime.HandleError(fmt.Errorf("tombstone contained object that is not a ReplicaSet %#v", obj))
			return
		}
	}
	logger.V(4).Info("Deleting", "replicaSet", klog.KObj(rs))
	// The sync will find the ReplicaSet gone from the lister and return early.
	rsc.enqueueRS(rs)
}

// resolveControllerRef returns the ReplicaSet that owns a pod, from the lister.
func (rsc *ReplicaSetController) resolveControllerRef(namespace string, controllerRef *metav1.OwnerReference) *apps.ReplicaSet {
	if controllerRef.Kind != rsc.Kind {
		return nil
	}
	rs, err := rsc.rsLister.ReplicaSets(namespace).Get(controllerRef.Name)
	if err != nil || rs.UID != controllerRef.UID {
		return nil
	}
	return rs
}

func (rsc *ReplicaSetController) addPod(logger klog.Logger, obj interface{}) {
	pod := obj.(*v1.Pod)
	if controllerRef := metav1.GetControllerOf(pod); controllerRef != nil {
		if rs := rsc.resolveControllerRef(pod.Namespace, controllerRef); rs != nil {
			logger.V(4).Info("Pod created", "pod", klog.KObj(pod))
			rsc.enqueueRS(rs)
		}
	}
}

func (rsc *ReplicaSetController) updatePod(logger klog.Logger, old, cur interface{}) {
	curPod := cur.(*v1.Pod)
	oldPod := old.(*v1.Pod)
	if curPod.ResourceVersion == oldPod.ResourceVersion {
		return
	}
	rsc.addPod(logger, curPod)
}

func (rsc *ReplicaSetController) deletePod(logger klog.Logger, obj interface{}) {
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
	if controllerRef := metav1.GetControllerOf(pod); controllerRef != nil {
		if rs := rsc.resolveControllerRef(pod.Namespace, controllerRef); rs != nil {
			logger.V(4).Info("Pod deleted", "pod", klog.KObj(pod))
			rsc.enqueueRS(rs)
		}
	}
}

// syncReplicaSet brings the pods of one ReplicaSet to spec.replicas and writes its status.
func (rsc *ReplicaSetController) syncReplicaSet(ctx context.Context, key string) error {
	namespace, name, err := keys.SplitKey(key)
	if err != nil {
		return err
	}
	rs, err := rsc.rsLister.ReplicaSets(namespace).Get(name)
	if errors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	selector, err := metav1.LabelSelectorAsSelector(rs.Spec.Selector)
	if err != nil {
		return err
	}
	allPods, err := rsc.podLister.Pods(rs.Namespace).List(labels.Everything())
	if err != nil {
		return err
	}
	var filteredPods []*v1.Pod
	for _, pod := range allPods {
		if pod.DeletionTimestamp == nil && selector.Matches(labels.Set(pod.Labels)) {
			filteredPods = append(filteredPods, pod)
		}
	}

	manageReplicasErr := rsc.manageReplicas(ctx, filteredPods, rs)
	newStatus := calculateStatus(rs, filteredPods, manageReplicasErr)
	if _, err := updateReplicaSetStatus(ctx, rsc.kubeClient, rs, newStatus); err != nil {
		return err
	}
	return manageReplicasErr
}

// manageReplicas creates or deletes pods through rsc.podControl.
func (rsc *ReplicaSetController) manageReplicas(ctx context.Context, filteredPods []*v1.Pod, rs *apps.ReplicaSet) error {
	diff := len(filteredPods) - int(*(rs.Spec.Replicas))
	if diff < 0 {
		_, err := slowStartBatch(-diff, 1, func() error {
			return rsc.podControl.CreatePods(ctx, rs.Namespace, &rs.Spec.Template, rs, metav1.NewControllerRef(rs, rsc.GroupVersionKind))
		})
		return err
	}
	errCh := make(chan error, diff)
	var wg sync.WaitGroup
	wg.Add(diff)
	for _, pod := range filteredPods[:diff] {
		go func(targetPod *v1.Pod) {
			defer wg.Done()
			if err := rsc.podControl.DeletePod(ctx, rs.Namespace, targetPod.Name, rs); err != nil {
				errCh <- err
			}
		}(pod)
	}
	wg.Wait()
	select {
	case err := <-errCh:
		return err
	default:
		return nil
	}
}

// slowStartBatch calls fn count times, in growing batches of goroutines.
func slowStartBatch(count int, initialBatchSize int, fn func() error) (int, error) {
	remaining := count
	successes := 0
	for batchSize := initialBatchSize; batchSize > 0 && remaining > 0; batchSize = 2 * batchSize {
		if batchSize > remaining {
			batchSize = remaining
		}
		errCh := make(chan error, batchSize)
		var wg sync.WaitGroup
		wg.Add(batchSize)
		for i := 0; i < batchSize; i++ {
			go func() {
				defer wg.Done()
				if err := fn(); err != nil {
					errCh <- err
				}
			}()
		}
		wg.Wait()
		curSuccesses := batchSize - len(errCh)
		successes += curSuccesses
		if len(errCh) > 0 {
			return successes, <-errCh
		}
		remaining -= batchSize
	}
	return successes, nil
}
