// Package attachdetach mimics the attach/detach controller (pkg/controller/volume/attachdetach,
// v1.28): it is itself the plugins' VolumeHost (adc:148, InitPlugins(plugins, prober, adc)) but
// not a KubeletVolumeHost, and its plugin list comes from the controller manager
// (cmd/kube-controller-manager/app/plugins.go ProbeAttachableVolumePlugins, core.go:303).
package attachdetach

import (
	"context"
	"sync"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	coreinformers "k8s.io/client-go/informers/core/v1"
	clientset "k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"

	"example.com/wiring-narrowing/pkg/volume"
)

type volumeToAttach struct {
	spec     volume.Spec
	nodeName string
}

type attachDetachController struct {
	kubeClient      clientset.Interface
	volumePluginMgr volume.VolumePluginMgr
	mu              sync.Mutex
	desired         map[string]volumeToAttach
}

// NewAttachDetachController registers the pod handler and initializes the plugins.
func NewAttachDetachController(kubeClient clientset.Interface, podInformer coreinformers.PodInformer, plugins []volume.VolumePlugin) (*attachDetachController, error) {
	adc := &attachDetachController{
		kubeClient: kubeClient,
		desired:    map[string]volumeToAttach{},
	}
	if err := adc.volumePluginMgr.InitPlugins(plugins, adc); err != nil {
		return nil, err
	}
	podInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: adc.podAdd,
	})
	return adc, nil
}

// GetKubeClient makes the controller a VolumeHost.
func (adc *attachDetachController) GetKubeClient() clientset.Interface {
	return adc.kubeClient
}

// Run starts the reconciler.
func (adc *attachDetachController) Run(ctx context.Context) {
	go wait.UntilWithContext(ctx, adc.reconcile, time.Second)
	<-ctx.Done()
}

func (adc *attachDetachController) podAdd(obj interface{}) {
	pod, ok := obj.(*v1.Pod)
	if !ok || pod.Spec.NodeName == "" {
		return
	}
	adc.mu.Lock()
	defer adc.mu.Unlock()
	for _, vol := range pod.Spec.Volumes {
		if vol.CSI != nil {
			adc.desired[vol.Name] = volumeToAttach{spec: volume.Spec{Name: vol.Name, Driver: vol.CSI.Driver}, nodeName: pod.Spec.NodeName}
		}
	}
}

func (adc *attachDetachController) reconcile(ctx context.Context) {
	adc.mu.Lock()
	defer adc.mu.Unlock()
	for _, v := range adc.desired {
		plugin, err := adc.volumePluginMgr.FindPluginByName("kubernetes.io/csi")
		if err != nil {
			continue
		}
		spec := v.spec
		plugin.Attach(ctx, &spec, v.nodeName)
	}
}
