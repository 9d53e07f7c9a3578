// Package attachdetach mimics the attach/detach controller's use of util.ProcessPodVolumes
// (pkg/controller/volume/attachdetach/util/util.go:188-241): a bool parameter, addVolumes,
// selects between adding the pod's volumes to the desired state (attach) and marking them for
// detach. podDelete always passes false (adc:544), the PVC worker always passes true
// (syncPVCByKey, adc:666).
package attachdetach

import (
	"context"
	"sync"
	"time"

	v1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/wait"
	coreinformers "k8s.io/client-go/informers/core/v1"
	clientset "k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
)

type desiredStateOfWorld struct {
	sync.RWMutex
	volumesToAttach map[string]string
	volumesToDetach map[string]string
}

func (dsw *desiredStateOfWorld) AddPod(volumeName, nodeName string) {
	dsw.Lock()
	defer dsw.Unlock()
	dsw.volumesToAttach[volumeName] = nodeName
}

func (dsw *desiredStateOfWorld) MarkForDetach(volumeName, nodeName string) {
	dsw.Lock()
	defer dsw.Unlock()
	dsw.volumesToDetach[volumeName] = nodeName
}

func (dsw *desiredStateOfWorld) GetVolumesToAttach() map[string]string {
	dsw.RLock()
	defer dsw.RUnlock()
	out := map[string]string{}
	for k, v := range dsw.volumesToAttach {
		out[k] = v
	}
	return out
}

func (dsw *desiredStateOfWorld) GetVolumesToDetach() map[string]string {
	dsw.RLock()
	defer dsw.RUnlock()
	out := map[string]string{}
	for k, v := range dsw.volumesToDetach {
		out[k] = v
	}
	return out
}

type attachDetachController struct {
	kubeClient          clientset.Interface
	podLister           corelisters.PodLister
	desiredStateOfWorld *desiredStateOfWorld
	pvcQueue            workqueue.RateLimitingInterface
}

// NewAttachDetachController registers the pod and PVC handlers.
func NewAttachDetachController(kubeClient clientset.Interface, podInformer coreinformers.PodInformer, pvcInformer coreinformers.PersistentVolumeClaimInformer) (*attachDetachController, error) {
	adc := &attachDetachController{
		kubeClient:          kubeClient,
		podLister:           podInformer.Lister(),
		desiredStateOfWorld: &desiredStateOfWorld{volumesToAttach: map[string]string{}, volumesToDetach: map[string]string{}},
		pvcQueue:            workqueue.NewNamedRateLimitingQueue(workqueue.DefaultControllerRateLimiter(), "pvcs"),
	}
	podInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		DeleteFunc: adc.podDelete,
	})
	pvcInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj interface{}) {
			adc.enqueuePVC(obj)
		},
	})
	return adc, nil
}

// Run starts the PVC worker and the reconciler.
func (adc *attachDetachController) Run(ctx context.Context) {
	go wait.UntilWithContext(ctx, adc.pvcWorker, time.Second)
	go wait.UntilWithContext(ctx, adc.reconcile, time.Second)
	<-ctx.Done()
}

func (adc *attachDetachController) podDelete(obj interface{}) {
	pod, ok := obj.(*v1.Pod)
	if pod == nil || !ok {
		return
	}
	ProcessPodVolumes(pod, false, adc.desiredStateOfWorld)
}

func (adc *attachDetachController) enqueuePVC(obj interface{}) {
	key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj)
	if err != nil {
		return
	}
	adc.pvcQueue.Add(key)
}

func (adc *attachDetachController) pvcWorker(ctx context.Context) {
	for adc.processNextItem() {
	}
}

func (adc *attachDetachController) processNextItem() bool {
	keyObj, shutdown := adc.pvcQueue.Get()
	if shutdown {
		return false
	}
	defer adc.pvcQueue.Done(keyObj)
	adc.syncPVCByKey(keyObj.(string))
	return true
}

func (adc *attachDetachController) syncPVCByKey(key string) {
	namespace, _, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		return
	}
	pods, err := adc.podLister.Pods(namespace).List(labels.Everything())
	if err != nil {
		return
	}
	for _, pod := range pods {
		ProcessPodVolumes(pod, true, adc.desiredStateOfWorld)
	}
}

// ProcessPodVolumes adds the pod's volumes to the desired state, or marks them for detach.
func ProcessPodVolumes(pod *v1.Pod, addVolumes bool, dsw *desiredStateOfWorld) {
	if pod == nil {
		return
	}
	for _, podVolume := range pod.Spec.Volumes {
		if addVolumes {
			dsw.AddPod(podVolume.Name, pod.Spec.NodeName)
		} else {
			dsw.MarkForDetach(podVolume.Name, pod.Spec.NodeName)
		}
	}
}

// reconcile attaches and detaches (rec:168-169, rec:309; csi_attacher.go:120, :447).
func (adc *attachDetachController) reconcile(ctx context.Context) {
	for volumeName, nodeName := range adc.desiredStateOfWorld.GetVolumesToDetach() {
		adc.kubeClient.StorageV1().VolumeAttachments().Delete(ctx, volumeName+"-"+nodeName, metav1.DeleteOptions{})
	}
	for volumeName, nodeName := range adc.desiredStateOfWorld.GetVolumesToAttach() {
		va := &storagev1.VolumeAttachment{ObjectMeta: metav1.ObjectMeta{Name: volumeName + "-" + nodeName}}
		adc.kubeClient.StorageV1().VolumeAttachments().Create(ctx, va, metav1.CreateOptions{})
	}
}
