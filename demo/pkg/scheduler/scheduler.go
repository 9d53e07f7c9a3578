// Package scheduler is a miniature kube-scheduler (k8s.io/kubernetes/pkg/scheduler).
//
// Its chains, as kubetorch reports them:
//
//	unassigned pod add/update/delete -> addPodToSchedulingQueue, ...   (eventhandlers.go)
//	  -> writes Scheduler.SchedulingQueue (*PriorityQueue)
//	  -> read by scheduleOne through sched.NextPod(), which New set to podQueue.Pop
//	  -> DefaultBinder.Bind (create pods/binding), or on failure
//	     handleSchedulingFailure (events.k8s.io event) and util.PatchPodStatus (patch pods/status)
//
//	assigned pod and node add/update/delete -> addPodToCache, addNodeToCache, ...
//	  -> writes Scheduler.Cache
//	  -> read by schedulePod through sched.Cache.UpdateSnapshot
//	  -> the chosen node reaches Bind; a FitError built from the cache reaches the event and the patch
package scheduler

import (
	"context"
	"errors"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	clientset "k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/events"

	"example.com/kubedemo/pkg/scheduler/framework"
	"example.com/kubedemo/pkg/scheduler/framework/plugins"
	internalcache "example.com/kubedemo/pkg/scheduler/internal/cache"
	internalqueue "example.com/kubedemo/pkg/scheduler/internal/queue"
)

// ErrNoNodesAvailable is returned when the cache holds no node at all.
var ErrNoNodesAvailable = errors.New("no nodes available to schedule pods")

// FailureHandlerFn is called when a pod could not be scheduled or bound.
type FailureHandlerFn func(ctx context.Context, fwk *framework.Framework, podInfo *framework.PodInfo, err error)

// ScheduleResult is the node chosen for a pod.
type ScheduleResult struct {
	SuggestedHost string
	FeasibleNodes int
}

// Scheduler watches pods and nodes and binds pending pods to nodes.
type Scheduler struct {
	// Cache holds the assigned pods and the nodes; the cache handlers write it.
	Cache internalcache.Cache

	// SchedulingQueue holds the pods waiting to be scheduled; the queue handlers write it.
	SchedulingQueue internalqueue.SchedulingQueue

	// NextPod blocks until a pod is ready. New sets it to the queue's Pop, so
	// NextPod and SchedulingQueue are two names for one object.
	NextPod func() *framework.PodInfo

	// SchedulePod picks a node for a pod (set by applyDefaultHandlers).
	SchedulePod func(ctx context.Context, fwk *framework.Framework, pod *v1.Pod) (ScheduleResult, error)

	// FailureHandler is called on a scheduling or binding failure (set by applyDefaultHandlers).
	FailureHandler FailureHandlerFn

	// Profiles maps a spec.schedulerName to the framework that handles it.
	Profiles map[string]*framework.Framework

	client           clientset.Interface
	nodeInfoSnapshot *internalcache.Snapshot
}

func (sched *Scheduler) applyDefaultHandlers() {
	sched.SchedulePod = sched.schedulePod
	sched.FailureHandler = sched.handleSchedulingFailure
}

// New builds a scheduler and registers its event handlers on informerFactory.
func New(ctx context.Context, client clientset.Interface, informerFactory informers.SharedInformerFactory, broadcaster events.EventBroadcaster) (*Scheduler, error) {
	recorder := broadcaster.NewRecorder(scheme.Scheme, v1.DefaultSchedulerName)
	fwk, err := framework.NewFramework(plugins.NewInTreeRegistry(), client, recorder)
	if err != nil {
		return nil, err
	}

	podQueue := internalqueue.NewPriorityQueue()
	sched := &Scheduler{
		Cache:            internalcache.New(),
		SchedulingQueue:  podQueue,
		Profiles:         map[string]*framework.Framework{v1.DefaultSchedulerName: fwk},
		client:           client,
		nodeInfoSnapshot: internalcache.NewEmptySnapshot(),
	}
	sched.NextPod = podQueue.Pop
	sched.applyDefaultHandlers()

	if err := addAllEventHandlers(sched, informerFactory); err != nil {
		return nil, err
	}
	return sched, nil
}

// Run schedules pods, one at a time, until ctx is done.
func (sched *Scheduler) Run(ctx context.Context) {
	go wait.UntilWithContext(ctx, sched.scheduleOne, 0)
	<-ctx.Done()
	sched.SchedulingQueue.Close()
}
