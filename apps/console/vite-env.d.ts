// CSS imports are bundled by Vite into one stylesheet (no inline <style>: the CSP allows none).
declare module '*.css';
