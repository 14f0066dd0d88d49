// 城管通: the field app of inspectors (监督员) and surveyors (普查员).
import { createApp } from 'vue';
import Vant from 'vant';
import 'vant/lib/index.css';
import 'maplibre-gl/dist/maplibre-gl.css';
import './style.css';
import App from './App.vue';

createApp(App).use(Vant).mount('#app');

// The service worker caches the app shell so that the app starts without
// network; it controls /field/ only.
if ('serviceWorker' in navigator) {
  navigator.serviceWorker.register('/field/sw.js', { scope: '/field/' }).catch(() => {});
}
