package resourcequota

import (
	"context"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	coreinformers "k8s.io/client-go/informers/core/v1"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
)

// Controller is the resource quota controller.
type Controller struct {
	rqClient     corev1client.ResourceQuotasGetter
	rqLister     corelisters.ResourceQuotaLister
	queue        workqueue.RateLimitingInterface
	quotaMonitor *QuotaMonitor
}

// NewController builds the quota controller and its monitor.
func NewController(rqClient corev1client.ResourceQuotasGetter, rqInformer coreinformers.ResourceQuotaInformer, informerFactory informers.SharedInformerFactory) (*Controller, error) {
	rq := &Controller{
		rqClient: rqClient,
		rqLister: rqInformer.Lister(),
		queue:    workqueue.NewNamedRateLimitingQueue(workqueue.DefaultControllerRateLimiter(), "resourcequota_primary"),
	}
	rqInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: rq.addQuota,
	})
	rq.quotaMonitor = NewMonitor(informerFactory, rq.replenishQuota)
	return rq, nil
}

// Run starts the monitor and the worker.
func (rq *Controller) Run(ctx context.Context, resources map[schema.GroupVersionResource]struct{}) {
	if err := rq.quotaMonitor.SyncMonitors(resources); err != nil {
		return
	}
	go rq.quotaMonitor.Run(ctx)
	go wait.UntilWithContext(ctx, rq.worker, time.Second)
	<-ctx.Done()
}

func (rq *Controller) addQuota(obj interface{}) {
	key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj)
	if err != nil {
		return
	}
	rq.queue.Add(key)
}

func (rq *Controller) replenishQuota(ctx context.Context, groupResource schema.GroupResource, namespace string) {
	resourceQuotas, err := rq.rqLister.ResourceQuotas(namespace).List(labels.Everything())
	if err != nil {
		return
	}
	for _, quota := range resourceQuotas {
		key, err := cache.MetaNamespaceKeyFunc(quota)
		if err != nil {
			continue
		}
		rq.queue.Add(key)
	}
}

func (rq *Controller) worker(ctx context.Context) {
	key, quit := rq.queue.Get()
	if quit {
		return
	}
	defer rq.queue.Done(key)
	rq.syncResourceQuotaFromKey(ctx, key.(string))
}

func (rq *Controller) syncResourceQuotaFromKey(ctx context.Context, key string) error {
	namespace, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return err
	}
	resourceQuota, err := rq.rqLister.ResourceQuotas(namespace).Get(name)
	if err != nil {
		return err
	}
	usage := resourceQuota.DeepCopy()
	usage.Status = v1.ResourceQuotaStatus{Hard: resourceQuota.Spec.Hard, Used: resourceQuota.Status.Used}
	_, err = rq.rqClient.ResourceQuotas(usage.Namespace).UpdateStatus(ctx, usage, metav1.UpdateOptions{})
	return err
}
