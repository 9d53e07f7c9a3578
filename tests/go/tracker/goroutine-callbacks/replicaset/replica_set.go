// Package replicaset reproduces the goroutine and callback shapes of
// pkg/controller/replicaset/replica_set.go: workers started by `go wait.Until(rsc.worker, ...)`
// and by `go func() { for rsc.processNextWorkItem() {} }()`; pod creates inside the closure
// handed to slowStartBatch (run in goroutines); pod deletes inside the closure handed to
// workqueue.ParallelizeUntil; the status update inside the closure handed to retry.RetryOnConflict.
package replicaset

import (
	"context"
	"fmt"
	"sync"
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
	"k8s.io/client-go/util/retry"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/integer"
)

const SlowStartInitialBatchSize = 1

var controllerKind = apps.SchemeGroupVersion.WithKind("ReplicaSet")

type ReplicaSetController struct {
	kubeClient clientset.Interface
	podControl realPodControl
	rsLister   appslisters.ReplicaSetLister
	podLister  corelisters.PodLister
	queue      workqueue.RateLimitingInterface
}

func NewReplicaSetController(rsInformer appsinformers.ReplicaSetInformer, podInformer coreinformers.PodInformer, kubeClient clientset.Interface) *ReplicaSetController {
	rsc := &ReplicaSetController{
		kubeClient: kubeClient,
		podControl: realPodControl{kubeClient: kubeClient},
		queue:      workqueue.NewNamedRateLimitingQueue(workqueue.DefaultControllerRateLimiter(), "replicaset"),
	}
	rsInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: rsc.addRS,
	})
	podInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		DeleteFunc: rsc.deletePod,
	})
	rsc.rsLister = rsInformer.Lister()
	rsc.podLister = podInformer.Lister()
	return rsc
}

func (rsc *ReplicaSetController) Run(workers int, stopCh <-chan struct{}) {
	defer utilruntime.HandleCrash()
	defer rsc.queue.ShutDown()
	for i := 0; i < workers; i++ {
		go wait.Until(rsc.worker, time.Second, stopCh)
	}
	go func() {
		for rsc.processNextWorkItem() {
		}
	}()
	<-stopCh
}

func (rsc *ReplicaSetController) addRS(obj interface{}) {
	key, err := cache.MetaNamespaceKeyFunc(obj)
	if err != nil {
		utilruntime.HandleError(err)
		return
	}
	rsc.queue.Add(key)
}

func (rsc *ReplicaSetController) deletePod(obj interface{}) {
	pod, ok := obj.(*v1.Pod)
	if !ok {
		tombstone, ok := obj.(cache.DeletedFinalStateUnknown)
		if !ok {
			return
		}
		pod, ok = tombstone.Obj.(*v1.Pod)
		if !ok {
			return
		}
	}
	controllerRef := metav1.GetControllerOf(pod)
	if controllerRef == nil || controllerRef.Kind != controllerKind.Kind {
		return
	}
	rsc.queue.Add(pod.Namespace + "/" + controllerRef.Name)
}

func (rsc *ReplicaSetController) worker() {
	for rsc.processNextWorkItem() {
	}
}

func (rsc *ReplicaSetController) processNextWorkItem() bool {
	key, quit := rsc.queue.Get()
	if quit {
		return false
	}
	defer rsc.queue.Done(key)

	if err := rsc.syncReplicaSet(context.TODO(), key.(string)); err != nil {
		utilruntime.HandleError(fmt.Errorf("sync %q failed with %v", key, err))
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
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	selector, err := metav1.LabelSelectorAsSelector(rs.Spec.Selector)
	if err != nil {
		return err
	}
	pods, err := rsc.podLister.Pods(rs.Namespace).List(selector)
	if err != nil {
		return err
	}
	manageErr := rsc.manageReplicas(ctx, pods, rs)
	if err := rsc.updateStatus(ctx, rs, int32(len(pods))); err != nil {
		return err
	}
	return manageErr
}

func (rsc *ReplicaSetController) manageReplicas(ctx context.Context, filteredPods []*v1.Pod, rs *apps.ReplicaSet) error {
	diff := len(filteredPods) - int(*(rs.Spec.Replicas))
	if diff < 0 {
		diff *= -1
		_, err := slowStartBatch(diff, SlowStartInitialBatchSize, func() error {
			return rsc.podControl.CreatePods(ctx, rs.Namespace, &rs.Spec.Template, rs)
		})
		return err
	}
	podsToDelete := filteredPods[:diff]
	workqueue.ParallelizeUntil(ctx, 16, len(podsToDelete), func(i int) {
		if err := rsc.kubeClient.CoreV1().Pods(rs.Namespace).Delete(ctx, podsToDelete[i].Name, metav1.DeleteOptions{}); err != nil {
			utilruntime.HandleError(err)
		}
	})
	return nil
}

func (rsc *ReplicaSetController) updateStatus(ctx context.Context, rs *apps.ReplicaSet, replicas int32) error {
	return retry.RetryOnConflict(retry.DefaultBackoff, func() error {
		latest, err := rsc.kubeClient.AppsV1().ReplicaSets(rs.Namespace).Get(ctx, rs.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		latest = latest.DeepCopy()
		latest.Status.Replicas = replicas
		_, err = rsc.kubeClient.AppsV1().ReplicaSets(rs.Namespace).UpdateStatus(ctx, latest, metav1.UpdateOptions{})
		return err
	})
}

// slowStartBatch tries to call the provided function a total of 'count' times,
// starting slow to check for errors, then speeding up if calls succeed.
func slowStartBatch(count int, initialBatchSize int, fn func() error) (int, error) {
	remaining := count
	successes := 0
	for batchSize := integer.IntMin(remaining, initialBatchSize); batchSize > 0; batchSize = integer.IntMin(2*batchSize, remaining) {
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
