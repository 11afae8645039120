/* Switchboard chat loader. Docs: www/README.md */
(()=>{
var w=window,d=document,old=w.Switchboard||{},
 me=d.currentScript||[...d.querySelectorAll('script[data-widget]')].pop();
if(old.open)return;
var gw=new URL(me.src).origin,wid=encodeURIComponent(me.dataset.widget),
 cfg,ls=[],on=0,ready=0,full=0,unread=0,wait=500,fr,user,forced,loc,
 host=d.createElement('div'),root=host.attachShadow({mode:'open'}),
 mk=(tag,parent,ns)=>parent.appendChild(ns?d.createElementNS('http://www.w3.org/2000/svg',tag):d.createElement(tag)),
 wrap=mk('div',root),btn=mk('button',wrap),svg=mk('svg',btn,1),badge=mk('b',btn),
 emit=(n,x)=>ls.forEach(([k,f])=>k==n&&f(x)),
 post=(type,x)=>ready&&fr.contentWindow.postMessage({sb:1,type,...x},gw),
 warn=m=>console.warn('Switchboard chat: '+m);

host.style.cssText='all:initial!important;position:fixed!important;z-index:2147483647!important';
host.id='switchboard-widget';
(root.adoptedStyleSheets=[new CSSStyleSheet])[0].replaceSync(`button,iframe{position:fixed;bottom:20px;right:20px;border:0;box-shadow:0 4px 20px #0005}.left>*{right:auto;left:20px}
button{width:56px;height:56px;border-radius:50%;color:#fff}
svg{vertical-align:middle;width:28px;height:28px;fill:currentColor}
b{position:absolute;top:0;right:0;min-width:20px;border-radius:9px;background:#d1242f;font:12px/20px sans-serif}
iframe{bottom:88px;width:min(380px,100% - 40px);height:min(600px,100% - 108px);border-radius:9px}
.f iframe{inset:0;width:100%;height:100%;border-radius:0}.f button{display:none}
@media(max-width:480px){.o iframe{inset:0;width:100%;height:100%;border-radius:0}.o button{display:none}}`);
mk('path',svg,1).setAttribute('d','M4 4h20v15H12l-6 5v-5H4z');

function draw(){
 var l=((forced||cfg.locale||navigator.language)+'').slice(0,2).toLowerCase(),T=cfg.launcher,t=T[loc=l=='pt'?'pt-BR':T[l]?l:'en'];
 wrap.className=cfg.position+(on?full?' o f':' o':'');
 btn.style.backgroundColor=cfg.color;
 btn.setAttribute('aria-label',t[on?1:0]);
 btn.setAttribute('aria-expanded',!!on);
 badge.textContent=unread;
 badge.hidden=!unread;
 if(fr)fr.hidden=!on;
}
function make(){
 if(fr||!cfg)return;
 fr=mk('iframe',wrap);
 fr.title='Chat';
 fr.src=`${gw}/widget/frame.html?w=${wid}#locale=${loc}&origin=${encodeURIComponent(location.origin)}`;
 draw();
}
function show(o){
 if(o==on)return;
 var f=root.activeElement==fr;
 on=o;
 if(!cfg)return;
 make();
 draw();
 post(o=o?'open':'close');
 on?fr.focus():f&&btn.focus();
 emit(o);
}
function load(){
 fetch(`${gw}/widget/v1/${wid}/config`).then(r=>r.json().then(c=>{
  if(r.ok){
   cfg=c;
   (d.body||d.documentElement).appendChild(host);
   on&&make();
   draw();
  }else if(r.status<429)warn(c.error.message);
  else throw 0;
 })).catch(()=>{
  wait>500||warn(`cannot reach ${gw}, trying again`);
  setTimeout(load,wait=Math.min(wait*2,3e5));
 });
}

btn.onclick=()=>show(!on);
btn.onkeydown=e=>{e.key=='Escape'&&show(0)};
w.addEventListener('message',e=>{
 var m=e.data||{},t=m.sb==1&&fr&&e.source==fr.contentWindow&&e.origin==gw&&m.type;
 if(t=='ready'){
  ready=1;
  post('locale',{locale:loc});
  post(on?'open':'close');
  user&&post('identify',{user});
  emit(t);
 }
 if(t=='unread'){
  unread=m.count|0;
  draw();
  emit(t,{count:unread});
 }
 if(t=='close')show(0);
 if(t=='resize'){full=m.fullscreen;draw()}
});

var run=([n,...a])=>api[n]&&api[n](...a),
 api=w.Switchboard={
  open:()=>show(1),
  close:()=>show(0),
  toggle:()=>show(!on),
  identify:u=>post('identify',{user:user=u}),
  setLocale:l=>{forced=l;cfg&&draw();post('locale',{locale:loc})},
  on:(n,f)=>ls.push([n,f]),
  off:(n,f)=>ls=ls.filter(([k,g])=>k!=n||g!=f),
  q:{push:(...c)=>c.forEach(run)}
 };
w.addEventListener('load',()=>setTimeout(make,3e3));
load();
(old.q||[]).forEach(run);
})();
