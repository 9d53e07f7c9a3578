// Package attachdetach: a queue-driven attach through a flexvolume driver call
// (og:373 -> flexvolume attacher.go:41), and a periodic loop that makes a driver call of its own.
package attachdetach

import (
	"context"
	"time"

	v1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	coreinformers "k8s.io/client-go/informers/core/v1"
	clientset "k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"

	"example.com/instances-not-types/flexvolume"
)

type attachDetachController struct {
	kubeClient    clientset.Interface
	attachQueue   workqueue.RateLimitingInterface
	nodeName      string
	seenNodes     *nodeCache
	statusUpdater *statusUpdater
}

// NewAttachDetachController registers the pod and node handlers.
func NewAttachDetachController(kubeClient clientset.Interface, podInformer coreinformers.PodInformer, nodeInformer coreinformers.NodeInformer) (*attachDetachController, error) {
	adc := &attachDetachController{
		kubeClient:    kubeClient,
		attachQueue:   workqueue.NewNamedRateLimitingQueue(workqueue.DefaultControllerRateLimiter(), "attach"),
		nodeName:      "node-1",
		seenNodes:     newNodeCache(),
		statusUpdater: newStatusUpdater(kubeClient),
	}
	podInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: adc.podAdd,
	})
	nodeInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: adc.nodeAdd,
	})
	return adc, nil
}

// Run starts the attach worker and the periodic driver status report.
func (adc *attachDetachController) Run(ctx context.Context) {
	go wait.UntilWithContext(ctx, adc.attachWorker, time.Second)
	go wait.UntilWithContext(ctx, adc.reportDriverStatus, time.Minute)
	go wait.UntilWithContext(ctx, adc.labelNodes, time.Minute)
	go wait.UntilWithContext(ctx, adc.statusUpdater.publish, time.Minute)
	<-ctx.Done()
}

func (adc *attachDetachController) podAdd(obj interface{}) {
	key, err := cache.MetaNamespaceKeyFunc(obj)
	if err != nil {
		return
	}
	adc.attachQueue.Add(key)
}

func (adc *attachDetachController) nodeAdd(obj interface{}) {
	node, ok := obj.(*v1.Node)
	if !ok {
		return
	}
	adc.seenNodes.Set(node.Name, node.Status.NodeInfo.KubeletVersion)
}

// labelNodes reads the handler-filled cache instance.
func (adc *attachDetachController) labelNodes(ctx context.Context) {
	for name, version := range adc.seenNodes.List() {
		patch := []byte(`{"metadata":{"labels":{"attachdetach/kubelet":"` + version + `"}}}`)
		adc.kubeClient.CoreV1().Nodes().Patch(ctx, name, types.MergePatchType, patch, metav1.PatchOptions{})
	}
}

func (adc *attachDetachController) attachWorker(ctx context.Context) {
	key, quit := adc.attachQueue.Get()
	if quit {
		return
	}
	defer adc.attachQueue.Done(key)
	adc.attachVolume(ctx, key.(string))
}

func (adc *attachDetachController) attachVolume(ctx context.Context, volumeName string) error {
	call := flexvolume.NewDriverCall("attach")
	call.Append(volumeName)
	devicePath, err := call.Run()
	if err != nil {
		return err
	}
	va := &storagev1.VolumeAttachment{ObjectMeta: metav1.ObjectMeta{Name: devicePath}}
	_, err = adc.kubeClient.StorageV1().VolumeAttachments().Create(ctx, va, metav1.CreateOptions{})
	return err
}

// reportDriverStatus runs a driver call of its own: its output depends on nothing a handler wrote.
func (adc *attachDetachController) reportDriverStatus(ctx context.Context) {
	call := flexvolume.NewDriverCall("status")
	call.Append("--all")
	status, err := call.Run()
	if err != nil {
		return
	}
	adc.statusUpdater.observe(adc.nodeName)
	patch := []byte(`{"metadata":{"annotations":{"flexvolume/status":"` + status + `"}}}`)
	adc.kubeClient.CoreV1().Nodes().Patch(ctx, adc.nodeName, types.MergePatchType, patch, metav1.PatchOptions{})
}
